using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using static RecoFlow.Tests.Recommendations.Scoring.Deltas;

namespace RecoFlow.Tests.Recommendations.Scoring;

public sealed class CandidateIndexTests
{
    /// <summary>The exact top list: items with positive popularity, best first, ties by store index.</summary>
    private static int[] Expected(ModelStore store, IEnumerable<int> items, int capacity) =>
        [.. items.Where(i => store.Popularity[i] > 0).OrderByDescending(i => store.Popularity[i]).ThenBy(i => i).Take(capacity)];

    /// <summary>None, one of 0–4, or one of 0–4 and 5, by a hash of the id that is the same in every run.</summary>
    private static int[] CategoriesOf(string item)
    {
        int h = 0;
        foreach (char ch in item) h = (h * 31 + ch) & 0xFFFFFF;
        return (h % 3) switch { 0 => [], 1 => [h / 3 % 5], _ => [h / 3 % 5, 5] };
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Incremental_touches_keep_every_list_equal_to_a_full_rebuild_on_a_random_store(int seed)
    {
        var rng = new Random(seed);
        var store = new ModelStore();
        var categories = new List<int[]>();
        var index = new CandidateIndex(popular: 12, perCategory: 5);
        var logPopularity = new Dictionary<string, double>();
        var touched = new List<int>();
        long cut = 0;
        for (int version = 0; version < 60; version++)
        {
            // Forward-decayed popularity only grows: each version raises some items (new ones among them) and links others.
            var entries = new List<ItemEntry>();
            for (int n = rng.Next(1, 8); n > 0; n--)
            {
                string item = $"i{rng.Next(150)}";
                double lp = logPopularity.GetValueOrDefault(item, rng.NextDouble() * 10) + rng.NextDouble() * 3;
                // Once, a jump past the store's rebase threshold: every popularity is scaled alike.
                if (version == 30 && n == 1) lp += 600;
                logPopularity[item] = lp;
                entries.Add(Popularity(item, lp));
            }
            if (rng.Next(3) == 0) entries.Add(Links($"i{rng.Next(150)}", ($"new{version}", 1.0)));
            store.Enqueue(Delta(cut += 100, rng.Next(2), [.. entries]));
            store.AdvanceTo(cut, touched);
            while (categories.Count < store.Count) categories.Add(CategoriesOf(store.Ids[categories.Count]));
            index.Touch(store, categories, touched);
            touched.Clear();

            var rebuilt = new CandidateIndex(popular: 12, perCategory: 5);
            rebuilt.Rebuild(store, categories);
            var all = Enumerable.Range(0, store.Count).ToList();
            Assert.Equal(Expected(store, all, 12), index.Popular.ToArray());
            Assert.Equal(rebuilt.Popular.ToArray(), index.Popular.ToArray());
            for (int c = 0; c < 6; c++)
            {
                Assert.Equal(Expected(store, all.Where(i => categories[i].Contains(c)), 5), index.OfCategory(c).ToArray());
                Assert.Equal(rebuilt.OfCategory(c).ToArray(), index.OfCategory(c).ToArray());
            }
        }
        Assert.True(store.PopularityReference > 500, "the random store never rebased its popularity");
    }

    [Fact]
    public void A_version_raising_several_items_leaves_each_list_sorted_whatever_the_order_they_were_written()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, Popularity("a", 10), Popularity("b", 9), Popularity("q", 8), Popularity("p", 7)));
        var touched = new List<int>();
        store.AdvanceTo(100, touched);
        int[][] cats = [[0], [0], [0], [0]];
        var index = new CandidateIndex(popular: 4, perCategory: 4);
        index.Touch(store, cats, touched);

        // p rises between a and b and is written before q, which jumps to the top.
        touched.Clear();
        store.Enqueue(Delta(200, 0, Popularity("p", 9.5), Popularity("q", 11)));
        store.AdvanceTo(200, touched);
        index.Touch(store, cats, touched);
        int[] expected = [.. new[] { "q", "a", "p", "b" }.Select(store.IndexOf)];
        Assert.Equal(expected, index.Popular.ToArray());
        Assert.Equal(expected, index.OfCategory(0).ToArray());
    }

    [Fact]
    public void Lists_are_bounded_ties_go_to_the_lower_index_and_a_rebuild_after_a_rollback_is_exact()
    {
        var store = new ModelStore();
        // a, b, c, d equally popular; e more popular; f never popular (a neighbour only).
        store.Enqueue(Delta(100, 0, Popularity("a", 1), Popularity("b", 1), Popularity("c", 1), Popularity("d", 1), Links("e", ("f", 0))));
        store.Enqueue(Delta(100, 1, Popularity("e", 2)));
        var touched = new List<int>();
        store.AdvanceTo(100, touched);
        int[][] cats = [[0], [1], [0, 1], [0], [], []];
        var index = new CandidateIndex(popular: 3, perCategory: 2);
        index.Touch(store, cats, touched);
        int a = store.IndexOf("a"), b = store.IndexOf("b"), c = store.IndexOf("c"), d = store.IndexOf("d"), e = store.IndexOf("e");
        Assert.Equal([e, a, b], index.Popular.ToArray());
        Assert.Equal([a, c], index.OfCategory(0).ToArray());
        Assert.Equal([b, c], index.OfCategory(1).ToArray());
        Assert.True(index.OfCategory(7).IsEmpty);

        // Rewritten with the same popularity, d stays behind the equal a and b; raised, it leads.
        touched.Clear();
        store.Enqueue(Delta(200, 0, Popularity("d", 1)));
        store.AdvanceTo(200, touched);
        index.Touch(store, cats, touched);
        Assert.Equal([e, a, b], index.Popular.ToArray());
        touched.Clear();
        store.Enqueue(Delta(300, 0, Popularity("d", 3)));
        store.AdvanceTo(300, touched);
        index.Touch(store, cats, touched);
        Assert.Equal([d, e, a], index.Popular.ToArray());
        Assert.Equal([d, a], index.OfCategory(0).ToArray());

        // A rollback lowers d again: only a rebuild sees it (the scoring function rebuilds after every rollback).
        Assert.True(store.Rollback(1));
        index.Rebuild(store, cats);
        Assert.Equal([e, a, b], index.Popular.ToArray());
        Assert.Equal([a, c], index.OfCategory(0).ToArray());
    }
}
