using MessagePack;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>The exact values of one item before a version overwrote them (absent parts were not touched).</summary>
[MessagePackObject]
[MessagePackFormatter(typeof(KeyedOrNamedFormatter<UndoEntry>))]
public sealed class UndoEntry
{
    [Key(0)] public int Index { get; set; }
    [Key(1)] public bool FactorsTouched { get; set; }
    [Key(2)] public float[]? Factors { get; set; }
    [Key(3)] public double? Popularity { get; set; }
    [Key(4)] public double? RecentPopularity { get; set; }
    [Key(5)] public int[]? NeighbourIndex { get; set; }
    [Key(6)] public double[]? NeighbourWeights { get; set; }

    /// <summary>
    /// For a neighbour change (<see cref="ItemEntry.NeighbourUpdates"/>), the steps it took on the item's list, in
    /// order: neighbour <see cref="NeighbourSteps"/>[s] left position <see cref="StepFrom"/>[s] (−1: it was absent) with
    /// weight <see cref="StepWeights"/>[s] and entered at <see cref="StepTo"/>[s] (−1: removed). Undone in reverse.
    /// </summary>
    [Key(7)] public int[]? NeighbourSteps { get; set; }
    [Key(8)] public int[]? StepFrom { get; set; }
    [Key(9)] public int[]? StepTo { get; set; }
    [Key(10)] public double[]? StepWeights { get; set; }
}

/// <summary>One applied (or rolled-back) version in a <see cref="ModelStore"/>: what it changed, how to undo it, and its online hit rate.</summary>
[MessagePackObject]
[MessagePackFormatter(typeof(KeyedOrNamedFormatter<StoreVersion>))]
public sealed class StoreVersion
{
    [Key(0)] public long Version { get; set; }
    [Key(1)] public long CutMs { get; set; }
    [Key(2)] public string Kind { get; set; } = ModelDelta.OnlineKind;
    [Key(3)] public long ActivatedMs { get; set; }
    [Key(4)] public ItemEntry[] Redo { get; set; } = [];
    [Key(5)] public UndoEntry[] Undo { get; set; } = [];
    [Key(6)] public bool Applied { get; set; }
    [Key(7)] public bool Rejected { get; set; }
    [Key(8)] public long Lists { get; set; }
    [Key(9)] public long Hits { get; set; }
}
