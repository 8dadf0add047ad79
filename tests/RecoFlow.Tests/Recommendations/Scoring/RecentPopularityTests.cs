using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using static RecoFlow.Tests.Recommendations.Scoring.Deltas;

namespace RecoFlow.Tests.Recommendations.Scoring;

/// <summary>The store's second popularity column (<see cref="ModelStore.RecentPopularity"/>): written, rolled back, and caught up in a store written before it existed.</summary>
public sealed class RecentPopularityTests
{
    private static ItemEntry Both(string item, double logPopularity, double logRecent) =>
        new() { ItemId = item, LogPopularity = logPopularity, LogRecentPopularity = logRecent };

    private static double Recent(ModelStore store, string item) => store.RecentPopularity[store.IndexOf(item)];

    [Fact]
    public void Versions_write_the_recent_popularity_relative_to_its_own_reference_and_a_rollback_restores_it()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, Both("a", 10, 3), Both("b", 10, 1)));
        store.AdvanceTo(100);
        Assert.Equal(4.0, Recent(store, "a") / Recent(store, "b"), 9); // 2^(3 − 1)
        long first = store.CurrentVersion;

        store.Enqueue(Delta(200, 0, Both("b", 11, 5)));
        store.AdvanceTo(200);
        Assert.Equal(4.0, Recent(store, "b") / Recent(store, "a"), 9); // 2^(5 − 3)

        Assert.True(store.Rollback(first));
        Assert.Equal(4.0, Recent(store, "a") / Recent(store, "b"), 9);
    }

    [Fact]
    public void A_version_without_it_leaves_it_unknown_and_a_large_value_rebases_the_column()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, Popularity("old", 5), Both("a", 5, 0)));
        store.AdvanceTo(100);
        Assert.Equal(0, Recent(store, "old"));

        store.Enqueue(Delta(200, 0, Both("b", 5, 2_000)));
        store.AdvanceTo(200);
        Assert.True(double.IsFinite(Recent(store, "b")) && Recent(store, "b") > 0);
        Assert.Equal(0, Recent(store, "a")); // 2^−2000 relative to the new reference
    }

    [Fact]
    public void A_store_restored_from_before_the_column_existed_catches_up_with_its_next_version()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, Popularity("a", 1), Popularity("b", 2)));
        store.AdvanceTo(100);
        store.RecentPopularity.Clear(); // as a store written by an earlier build restores: no such column

        store.Enqueue(Delta(200, 0, Both("b", 3, 1)));
        store.AdvanceTo(200);

        Assert.Equal(store.Count, store.RecentPopularity.Count);
        Assert.Equal(0, Recent(store, "a"));
        Assert.True(Recent(store, "b") > 0);
    }
}
