namespace RecoFlow.Operators.Streaming.Records;

/// <summary>
/// The published state of one item in a model version. Popularity and co-visitation weights are in the log₂ domain
/// of forward decay (log₂ Σ w·2^(t/h)), so they never overflow and compare directly; absent parts are unchanged.
/// </summary>
public sealed class ItemEntry
{
    public string ItemId { get; set; } = "";
    public float[]? Factors { get; set; }
    public double? LogPopularity { get; set; }
    public string[]? Neighbours { get; set; }
    public double[]? NeighbourLogWeights { get; set; }
}

/// <summary>
/// A model version as published by the item model task: the items that changed since the previous version. It covers
/// every interaction with a timestamp before <see cref="CutMs"/> that the task had seen, and none after.
/// </summary>
public sealed class ModelDelta
{
    public long Version { get; set; }
    public long CutMs { get; set; }
    public int Subtask { get; set; }
    public ItemEntry[] Items { get; set; } = [];
}

/// <summary>What the scoring tasks receive on the broadcast input: a new version, or an operator command.</summary>
public sealed class ModelMessage
{
    public ModelDelta? Delta { get; set; }

    /// <summary>Roll back to this version and hold there (new versions queue) until <see cref="Resume"/>.</summary>
    public long? RollbackTo { get; set; }

    /// <summary>Apply every queued and rolled-back version again.</summary>
    public bool Resume { get; set; }

    public static ModelMessage Publish(ModelDelta delta) => new() { Delta = delta };
    public static ModelMessage Rollback(long version) => new() { RollbackTo = version };
    public static ModelMessage ResumeLatest() => new() { Resume = true };
}

/// <summary>
/// A top-K list for a user. <see cref="Trigger"/> is "interaction" (after an event), or "probe" (before a positive
/// event, for prequential evaluation). <see cref="LatencyMs"/> is the time from the job accepting the event to this list.
/// </summary>
public sealed record Recommendation(
    string UserKey,
    string[] Items,
    float[] Scores,
    long ModelVersion,
    string EventId,
    long EventTimestampMs,
    double LatencyMs,
    string Trigger);

/// <summary>Online quality of a model version as seen by one scoring task: lists served and how many were hit by the user's next positive event.</summary>
public sealed record ModelVersionInfo(long Version, long CutMs, int Items, long Lists, long Hits, bool RolledBack)
{
    public double HitRate => Lists == 0 ? 0 : (double)Hits / Lists;
}
