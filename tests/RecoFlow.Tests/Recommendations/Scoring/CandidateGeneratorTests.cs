using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using static RecoFlow.Tests.Recommendations.Scoring.Deltas;

namespace RecoFlow.Tests.Recommendations.Scoring;

public sealed class CandidateGeneratorTests
{
    /// <summary>
    /// Popular items p0 (most popular) to p9 in category 0; c0–c2 in category 1; the seeds r1, r2 (recent positives),
    /// s1 (session) and b1 (basket) link to their own neighbours; r1 also links to the user's positive "pos" and the
    /// seen item "seen".
    /// </summary>
    private static (ModelStore Store, List<int[]> Categories, CandidateIndex Index) Store()
    {
        var entries = new List<ItemEntry>();
        for (int j = 0; j < 10; j++) entries.Add(Popularity($"p{j}", 10 - j));
        entries.AddRange([Popularity("c0", 0.4), Popularity("c1", 0.3), Popularity("c2", 0.2)]);
        foreach (var n in new[] { "n-r1", "n-r2", "n-s", "n-b", "pos", "seen" }) entries.Add(Popularity(n, 0.5));
        entries.AddRange([
            Links("r1", ("n-r1", 3), ("pos", 3), ("seen", 3)),
            Links("r2", ("n-r2", 3)),
            Links("s1", ("n-s", 2)),
            Links("b1", ("n-b", 1)),
            Factors("n-r1", 3, 4),
            Factors("n-r2", 0.5f, 0.25f),
        ]);
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, [.. entries]));
        store.AdvanceTo(100);
        var categories = store.Ids.Select(id => id[0] == 'p' ? new[] { 0 } : id[0] == 'c' ? [1] : []).ToList();
        var index = new CandidateIndex();
        index.Rebuild(store, categories);
        return (store, categories, index);
    }

    private static UserScoringState User(float[]? factors = null) => new()
    {
        Positives = new(StringComparer.Ordinal) { "r1", "r2", "pos" },
        Seen = new(StringComparer.Ordinal) { "r1", "r2", "pos", "seen", "s1", "b1" },
        Factors = factors,
    };

    private static readonly UserFeatures Features = new(["r1", "r2", "ghost"], [0.1, 1.0], ["s1"], 0, 6) { BasketItems = ["b1"] };

    private static Dictionary<string, float[]> Collect(ScoringOptions options, UserScoringState user, UserFeatures features)
    {
        var (store, categories, index) = Store();
        var c = new Candidates();
        int n = new CandidateGenerator(options, categories).Collect(store, index, user, features, c);
        Assert.Equal(n, c.Count);
        return Enumerable.Range(0, n).ToDictionary(s => store.Ids[c.Items[s]], s => c.Row(s).ToArray());
    }

    [Fact]
    public void Neighbours_of_basket_session_and_recent_positives_carry_their_own_features()
    {
        var x = Collect(new ScoringOptions(K: 10, PopularCandidates: 3, CategoryCandidates: 2), User(), Features);

        Assert.Equal(1f, x["n-b"][CandidateFeatures.CoBasket]);
        Assert.Equal(1f, x["n-s"][CandidateFeatures.CoSession]);
        Assert.Equal(0f, x["n-b"][CandidateFeatures.CoSession]);
        Assert.Equal(0f, x["n-s"][CandidateFeatures.CoRecent]);
        // The most recent positive's neighbour leads each recency feature; the next one's is discounted by its rank.
        Assert.Equal(1f, x["n-r1"][CandidateFeatures.CoRecent]);
        Assert.Equal(0.85f, x["n-r2"][CandidateFeatures.CoRecent], 5);
        Assert.Equal(0.5f, x["n-r2"][CandidateFeatures.CoSharp], 5);
        Assert.Equal(0.97f, x["n-r2"][CandidateFeatures.CoFlat], 5);
        Assert.Equal(1f, x["n-r1"][CandidateFeatures.CoRecentLog], 5);
        Assert.True(x["n-r2"][CandidateFeatures.CoRecentLog] is > 0.85f and < 1f);

        // The strongest category's best two, the most popular items (at least K of them), and nothing else.
        Assert.Equal(1f, x["c0"][CandidateFeatures.Category]);
        Assert.Equal(0.1f, x["p0"][CandidateFeatures.Category], 5);
        Assert.Equal(1f, x["p0"][CandidateFeatures.Popularity]);
        Assert.Equal(1f, x["p0"][CandidateFeatures.LogPopularity]);
        string[] expected = ["n-b", "n-s", "n-r1", "n-r2", "c0", "c1", .. Enumerable.Range(0, 10).Select(j => $"p{j}")];
        Assert.Equal(expected.Order(StringComparer.Ordinal), x.Keys.Order(StringComparer.Ordinal));

        // Without user factors the factor feature is zero.
        Assert.All(x.Values, row => Assert.Equal(0f, row[CandidateFeatures.Factors]));
    }

    [Fact]
    public void Positives_are_never_candidates_and_seen_items_only_when_seen_items_are_not_excluded()
    {
        var excluding = Collect(new ScoringOptions(), User(), Features);
        foreach (var id in new[] { "r1", "r2", "pos", "seen", "s1", "b1" }) Assert.DoesNotContain(id, excluding.Keys);

        var keeping = Collect(new ScoringOptions(ExcludeSeen: false), User(), Features);
        Assert.Contains("seen", keeping.Keys);
        Assert.Equal(1f, keeping["seen"][CandidateFeatures.CoRecent]);
        foreach (var id in new[] { "r1", "r2", "pos" }) Assert.DoesNotContain(id, keeping.Keys);
    }

    /// <summary>PopularCandidates counts places of the popular list (excluded items too); K counts candidates.</summary>
    [Theory]
    [InlineData(0, 4)]
    [InlineData(8, 6)]
    public void Popular_items_fill_the_candidates_up_to_K_past_excluded_ones(int popularCandidates, int expected)
    {
        var user = new UserScoringState { Positives = new(StringComparer.Ordinal) { "p1" }, Seen = new(StringComparer.Ordinal) { "p0", "p1" } };
        var x = Collect(new ScoringOptions(K: 4, PopularCandidates: popularCandidates), user, UserFeatures.Empty);
        Assert.Equal(Enumerable.Range(2, expected).Select(j => $"p{j}"), x.Keys);
    }

    [Fact]
    public void Every_feature_lies_in_0_1_and_the_factor_feature_is_the_clamped_dot_product()
    {
        var x = Collect(new ScoringOptions(), User(factors: [1, 2]), Features);
        Assert.Equal(4f, x["n-r1"][CandidateFeatures.Factors]);
        Assert.Equal(1f, x["n-r2"][CandidateFeatures.Factors]);
        Assert.Equal(0f, x["p0"][CandidateFeatures.Factors]);
        foreach (var (id, row) in x)
            for (int f = 0; f < CandidateFeatures.Count; f++)
                if (f != CandidateFeatures.Factors) Assert.True(row[f] is >= 0f and <= 1f, $"{id}: {CandidateFeatures.Names[f]} = {row[f]}");
        Assert.Equal(CandidateFeatures.Count, CandidateFeatures.Names.Count);
        Assert.Equal(CandidateFeatures.Count, CandidateFeatures.Priors().Length);
    }
}
