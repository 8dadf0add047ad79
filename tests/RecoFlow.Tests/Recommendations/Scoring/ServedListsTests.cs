using RecoFlow.Recommendations.Streaming.Scoring;

namespace RecoFlow.Tests.Recommendations.Scoring;

public sealed class ServedListsTests
{
    private const int F = Candidates.F;

    /// <summary>Candidates of store indices <paramref name="items"/>, each feature row filled with its item's index plus the feature's.</summary>
    private static Candidates List(params int[] items)
    {
        var c = new Candidates();
        c.Reset(items.Max() + 1);
        foreach (int i in items)
        {
            var row = c.Row(c.Add(i));
            for (int f = 0; f < F; f++) row[f] = i + f / 100f;
        }
        return c;
    }

    [Fact]
    public void Gives_back_the_items_and_features_of_the_list_last_kept_for_the_user()
    {
        var store = new ModelStore();
        var served = new ServedLists(F);
        served.Keep("u1", store, List(3, 1, 4));
        served.Keep("u2", store, List(5));
        served.Keep("u1", store, List(2, 7));

        Assert.True(served.TryGet("u1", store, out var items, out var features));
        Assert.Equal([2, 7], items.ToArray());
        Assert.Equal(2 * F, features.Length);
        Assert.Equal(7 + 3 / 100f, features[F + 3]);
        Assert.True(served.TryGet("u2", store, out items, out _));
        Assert.Equal([5], items.ToArray());
        Assert.False(served.TryGet("u3", store, out _, out _));
        Assert.Equal(2, served.Count);
    }

    [Fact]
    public void A_list_taken_under_another_store_or_before_a_rewind_is_not_given_back()
    {
        var store = new ModelStore();
        var served = new ServedLists(F);
        served.Keep("u1", store, List(1, 2));

        Assert.False(served.TryGet("u1", new ModelStore(), out _, out _));
        store.Resume(); // a resume rewinds the store: store indices may have moved
        Assert.False(served.TryGet("u1", store, out _, out _));
    }

    [Fact]
    public void Forgetting_a_user_drops_the_list()
    {
        var store = new ModelStore();
        var served = new ServedLists(F);
        served.Keep("u1", store, List(1, 2));
        served.Forget("u1");
        served.Forget("never-kept");
        Assert.False(served.TryGet("u1", store, out _, out _));
        Assert.Equal(0, served.Count);
    }

    [Fact]
    public void Memory_is_bounded_by_two_generations_and_a_recent_hit_survives_the_turn()
    {
        var store = new ModelStore();
        // Room for two lists of two candidates per generation.
        var served = new ServedLists(F, generationFloats: 4 * F);
        served.Keep("a", store, List(1, 2));
        served.Keep("b", store, List(1, 2));
        served.Keep("c", store, List(1, 2)); // the young generation (a, b) turns old
        Assert.True(served.TryGet("a", store, out _, out _)); // a moves back into the young one (c, a)
        served.Keep("d", store, List(1, 2)); // (c, a) turns old, b is dropped

        Assert.False(served.TryGet("b", store, out _, out _));
        Assert.True(served.TryGet("a", store, out var items, out _));
        Assert.Equal([1, 2], items.ToArray());
        Assert.True(served.TryGet("c", store, out _, out _));
        Assert.True(served.TryGet("d", store, out _, out _));

        for (int u = 0; u < 1_000; u++) served.Keep($"user-{u}", store, List(1, 2));
        Assert.True(served.Count <= 4, $"{served.Count} users held");
    }

    [Fact]
    public void A_reused_entry_holds_a_longer_list_whole()
    {
        var store = new ModelStore();
        var served = new ServedLists(F, generationFloats: 2 * F);
        served.Keep("a", store, List(1));
        served.Keep("b", store, List(1));
        served.Keep("c", store, List(1)); // (a, b) turn old
        served.Keep("d", store, List(9, 8, 7, 6, 5)); // (c) turns old; a's and b's entries are freed
        served.Keep("e", store, List(4, 3, 2, 1, 0)); // reuses a freed entry of one candidate

        Assert.True(served.TryGet("d", store, out var items, out var features));
        Assert.Equal([9, 8, 7, 6, 5], items.ToArray());
        Assert.True(served.TryGet("e", store, out items, out features));
        Assert.Equal([4, 3, 2, 1, 0], items.ToArray());
        Assert.Equal(0 + 11 / 100f, features[4 * F + 11]);
    }
}
