using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>The exact values of one item before a version overwrote them (absent parts were not touched).</summary>
public sealed class UndoEntry
{
    public int Index { get; set; }
    public bool FactorsTouched { get; set; }
    public float[]? Factors { get; set; }
    public double? Popularity { get; set; }
    public double? RecentPopularity { get; set; }
    public int[]? NeighbourIndex { get; set; }
    public double[]? NeighbourWeights { get; set; }

    /// <summary>
    /// For a neighbour change (<see cref="ItemEntry.NeighbourUpdates"/>), the steps it took on the item's list, in
    /// order: neighbour <see cref="NeighbourSteps"/>[s] left position <see cref="StepFrom"/>[s] (−1: it was absent) with
    /// weight <see cref="StepWeights"/>[s] and entered at <see cref="StepTo"/>[s] (−1: removed). Undone in reverse.
    /// </summary>
    public int[]? NeighbourSteps { get; set; }
    public int[]? StepFrom { get; set; }
    public int[]? StepTo { get; set; }
    public double[]? StepWeights { get; set; }
}

/// <summary>One applied (or rolled-back) version in a <see cref="ModelStore"/>: what it changed, how to undo it, and its online hit rate.</summary>
public sealed class StoreVersion
{
    public long Version { get; set; }
    public long CutMs { get; set; }
    public string Kind { get; set; } = ModelDelta.OnlineKind;
    public long ActivatedMs { get; set; }
    public ItemEntry[] Redo { get; set; } = [];
    public UndoEntry[] Undo { get; set; } = [];
    public bool Applied { get; set; }
    public bool Rejected { get; set; }
    public long Lists { get; set; }
    public long Hits { get; set; }
}
