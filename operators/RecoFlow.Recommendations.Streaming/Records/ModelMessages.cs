using MessagePack;

namespace RecoFlow.Recommendations.Streaming.Records;

/// <summary>
/// The published state of one item in a model version. Popularity and co-visitation weights are in the log₂ domain
/// of forward decay (log₂ Σ w·2^(t/h)), so they never overflow and compare directly; absent parts are unchanged.
/// Co-visitation neighbours come either as the whole list (<see cref="Neighbours"/>) or as a change to the list the
/// item's previous version left (<see cref="NeighbourRemovals"/> first, then <see cref="NeighbourUpdates"/>): the item
/// model publishes the change, so a version costs in proportion to the links it changed, not to the lists' length.
/// </summary>
[MessagePackObject]
[MessagePackFormatter(typeof(KeyedOrNamedFormatter<ItemEntry>))]
public sealed class ItemEntry
{
    [Key(0)] public string ItemId { get; set; } = "";
    [Key(1)] public float[]? Factors { get; set; }
    [Key(2)] public double? LogPopularity { get; set; }
    /// <summary>The item's popularity with the shorter half-life (absent from versions written before it existed).</summary>
    [Key(3)] public double? LogRecentPopularity { get; set; }

    /// <summary>The whole neighbour list (replaces the previous one); aligned with <see cref="NeighbourLogWeights"/>.</summary>
    [Key(4)] public string[]? Neighbours { get; set; }
    [Key(5)] public double[]? NeighbourLogWeights { get; set; }

    /// <summary>Neighbours added or strengthened since the previous version, with their log₂ weights now (aligned with <see cref="NeighbourUpdateLogWeights"/>).</summary>
    [Key(6)] public string[]? NeighbourUpdates { get; set; }
    [Key(7)] public double[]? NeighbourUpdateLogWeights { get; set; }

    /// <summary>Neighbours dropped from the list since the previous version (replaced by stronger ones); applied before the updates.</summary>
    [Key(8)] public string[]? NeighbourRemovals { get; set; }

    /// <summary>True when the entry changes the item's neighbours (a whole list or a change to it).</summary>
    [IgnoreMember]
    public bool TouchesNeighbours => Neighbours is not null || NeighbourUpdates is not null || NeighbourRemovals is not null;
}

/// <summary>
/// A model version as published by the item model task: the items that changed since the previous version. It covers
/// every interaction with a timestamp before <see cref="CutMs"/> that the task had seen, and none after.
/// </summary>
[MessagePackObject]
[MessagePackFormatter(typeof(KeyedOrNamedFormatter<ModelDelta>))]
public sealed class ModelDelta
{
    [Key(0)] public long Version { get; set; }
    [Key(1)] public long CutMs { get; set; }
    [Key(2)] public int Subtask { get; set; }

    /// <summary>"online" (the items the online learner changed) or "refit" (item factors refit over the sliding window).</summary>
    [Key(3)] public string Kind { get; set; } = OnlineKind;
    [Key(4)] public ItemEntry[] Items { get; set; } = [];

    public const string OnlineKind = "online", RefitKind = "refit";
}

/// <summary>What the scoring tasks receive on the broadcast input: a new version, or an operator command.</summary>
public sealed class ModelMessage
{
    public ModelDelta? Delta { get; set; }

    /// <summary>Roll back to this version and hold there (new versions queue) until <see cref="Resume"/>.</summary>
    public long? RollbackTo { get; set; }

    /// <summary>Apply every queued and rolled-back version again.</summary>
    public bool Resume { get; set; }

    /// <summary>Set the diversity loop's θ back to this kept version and hold it until <see cref="DiversityResume"/>.</summary>
    public long? DiversityRollbackTo { get; set; }

    /// <summary>Let the diversity loop decide again.</summary>
    public bool DiversityResume { get; set; }

    public static ModelMessage Publish(ModelDelta delta) => new() { Delta = delta };
    public static ModelMessage Rollback(long version) => new() { RollbackTo = version };
    public static ModelMessage ResumeLatest() => new() { Resume = true };
    public static ModelMessage RollbackDiversity(long version) => new() { DiversityRollbackTo = version };
    public static ModelMessage ResumeDiversity() => new() { DiversityResume = true };
}

/// <summary>
/// A top-K list for a user; <see cref="Trigger"/> says why it was made. <see cref="LatencyMs"/> is the time from the job
/// accepting the event to this list.
/// </summary>
public sealed record Recommendation(
    string UserKey,
    string[] Items,
    float[] Scores,
    long ModelVersion,
    string EventId,
    long EventTimestampMs,
    double LatencyMs,
    ListTrigger Trigger);

/// <summary>Online quality of a model version as seen by one scoring task: lists served and how many were hit by the user's next positive event.</summary>
public sealed record ModelVersionInfo(long Version, long CutMs, int Items, long Lists, long Hits, bool RolledBack)
{
    public double HitRate => Lists == 0 ? 0 : (double)Hits / Lists;

    /// <summary>"online" or "refit" (<see cref="ModelDelta.Kind"/>).</summary>
    public string Kind { get; init; } = ModelDelta.OnlineKind;

    /// <summary>Undone by the automatic rollback rule (not re-applied by a resume).</summary>
    public bool Rejected { get; init; }

    /// <summary>The version the scoring task serves now.</summary>
    public bool Current { get; init; }

    /// <summary>Event time of the record at which the scoring task first applied the version.</summary>
    public long ActivatedMs { get; init; }

    /// <summary>Received, waiting for event time to reach its cut (or for a resume after a rollback).</summary>
    public bool Queued { get; init; }

    /// <summary>"queued", "active" (served now), "superseded" (applied, a later version is served), "rolled-back" or "rejected".</summary>
    public string Status => Queued ? "queued" : Rejected ? "rejected" : RolledBack ? "rolled-back" : Current ? "active" : "superseded";
}

/// <summary>
/// A model version's state and online metrics as one scoring subtask reports them on <see cref="Scoring.ScoringFunction.VersionsOutput"/>:
/// when versions arrive ("published"), are activated, rolled back, rejected or resumed (<see cref="Reason"/>), and every
/// <see cref="Scoring.ScoringOptions.VersionReportLists"/> lists served ("metrics"). Later records of the same
/// (subtask, version) supersede earlier ones.
/// </summary>
public sealed record ModelVersionRecord(ModelVersionInfo Info, string Reason, int Subtask, long AtMs);
