using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;

namespace RecoFlow.Tests.Recommendations.Scoring;

/// <summary>Hand-built model versions and the parts of a <see cref="ModelStore"/> that a version writes, for tests.</summary>
internal static class Deltas
{
    public static ItemEntry Popularity(string item, double logPopularity) => new() { ItemId = item, LogPopularity = logPopularity };

    public static ItemEntry Factors(string item, params float[] factors) => new() { ItemId = item, Factors = factors };

    /// <summary>The item's co-visitation neighbours with their log₂ weights.</summary>
    public static ItemEntry Links(string item, params (string Item, double LogWeight)[] neighbours) => new()
    {
        ItemId = item,
        Neighbours = [.. neighbours.Select(n => n.Item)],
        NeighbourLogWeights = [.. neighbours.Select(n => n.LogWeight)],
    };

    /// <summary>A change to the item's neighbour list: <paramref name="removed"/> dropped, then <paramref name="updates"/> set to their log₂ weights.</summary>
    public static ItemEntry LinkChanges(string item, string[] removed, params (string Item, double LogWeight)[] updates) => new()
    {
        ItemId = item,
        NeighbourRemovals = removed.Length > 0 ? removed : null,
        NeighbourUpdates = [.. updates.Select(n => n.Item)],
        NeighbourUpdateLogWeights = [.. updates.Select(n => n.LogWeight)],
    };

    /// <summary>A delta as one item-model subtask publishes it (its own version number, which the store does not use).</summary>
    public static ModelDelta Delta(long cutMs, int subtask, params ItemEntry[] items) =>
        new() { CutMs = cutMs, Subtask = subtask, Version = 1000 + subtask, Items = items };

    public static ModelDelta Refit(long cutMs, int subtask, params ItemEntry[] items) =>
        new() { CutMs = cutMs, Subtask = subtask, Version = 2000 + subtask, Kind = ModelDelta.RefitKind, Items = items };

    /// <summary>
    /// Everything the versions wrote, by item id, in a form that compares by value. Items without any value are left
    /// out: the store keeps the position of an item a rolled-back version created, empty.
    /// </summary>
    public static string Describe(ModelStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return string.Join("\n", Enumerable.Range(0, store.Count)
            .Where(i => store.Popularity[i] != 0 || store.ItemFactors[i] is not null || store.NeighbourIndex[i].Length > 0)
            .Select(i => Line(store, i)));
    }

    private static string Line(ModelStore store, int i) =>
        $"{store.Ids[i]}|{store.Popularity[i]:R}|{string.Join(",", store.ItemFactors[i] ?? [])}|" +
        string.Join(",", store.NeighbourIndex[i].Select((n, j) => $"{store.Ids[n]}:{store.NeighbourWeights[i][j]:R}"));
}
