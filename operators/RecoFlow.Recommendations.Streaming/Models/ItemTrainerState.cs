using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Models;

/// <summary>Operator (non-keyed) state of one <see cref="ItemModelOperator"/> subtask.</summary>
public sealed class ItemTrainerState
{
    /// <summary>This subtask's training copy of the user factors (the scoring tasks fold in their own).</summary>
    public Dictionary<string, float[]> UserFactors { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Event time of each user's latest positive event here (<see cref="UserFactorExpiry"/>).</summary>
    public Dictionary<string, long> UserSeenMs { get; set; } = new(StringComparer.Ordinal);
    public long NextUserSweepMs { get; set; } = long.MinValue;
    /// <summary>Items of this subtask that have factors, in order of first appearance (negative sampling).</summary>
    public List<string> KnownItems { get; set; } = [];
    public List<string> DirtyItems { get; set; } = [];
    public string[] ReplayUsers { get; set; } = [];
    public string[] ReplayItems { get; set; } = [];
    public long ReplayWritten { get; set; }
    public ulong RngState { get; set; }
    public long Version { get; set; }
    public long NextBoundaryMs { get; set; } = long.MinValue;
    /// <summary>The subtask and parallelism this state was written by (−1: before they were recorded): a restore at another parallelism re-divides it (<see cref="ItemTrainerRescale"/>).</summary>
    public int Subtask { get; set; } = -1;
    public int Parallelism { get; set; } = -1;
    public long MaxTimestampMs { get; set; } = long.MinValue;

    /// <summary>Positive interactions of the retraining window, oldest first, from <see cref="WindowStart"/> on (entries before it are dropped, compacted now and then).</summary>
    public List<string> WindowUsers { get; set; } = [];
    public List<string> WindowItems { get; set; } = [];
    public List<long> WindowTimes { get; set; } = [];
    public int WindowStart { get; set; }
    public long NextRefitMs { get; set; } = long.MinValue;
    public long Refits { get; set; }

    /// <summary>With <see cref="ItemModelOptions.EventTimeOrder"/>: the records that wait for the watermark, in arrival order.</summary>
    public List<ItemFeedback> Waiting { get; set; } = [];

    /// <summary>Interactions in the retraining window.</summary>
    public int WindowCount => WindowUsers.Count - WindowStart;
}
