using MessagePack;

namespace RecoFlow.Cluster.Jobs;

public enum JobManagerEventKind { Submitted, Resubmitted, Ended, Rescaled }

/// <summary>
/// What the job manager journals (MessagePack with explicit keys, so version N's events load in N+1): a job was
/// submitted (everything needed to run it again), resubmitted by a new job manager, ended, or (reactive mode) stopped
/// with a savepoint to be restarted from it at another parallelism.
/// </summary>
[MessagePackObject]
public sealed class JobManagerEvent
{
    public const int CurrentVersion = 1;

    [Key(0)] public int Version { get; set; } = CurrentVersion;
    [Key(1)] public JobManagerEventKind Kind { get; set; }
    [Key(2)] public string JobId { get; set; } = "";
    [Key(3)] public DateTime At { get; set; }
    [Key(4)] public string? Job { get; set; }
    [Key(5)] public Dictionary<string, string>? Parameters { get; set; }
    [Key(6)] public string? FromSavepoint { get; set; }
    [Key(7)] public byte[]? Assembly { get; set; }
    [Key(8)] public string? JobClass { get; set; }
    /// <summary>Ended: FINISHED, FAILED or CANCELED.</summary>
    [Key(9)] public string? State { get; set; }
    [Key(10)] public string? FailureCause { get; set; }
    [Key(11)] public string? Savepoint { get; set; }
    /// <summary>Submitted, Resubmitted: the node that runs the job from then on.</summary>
    [Key(12)] public string? Node { get; set; }
    /// <summary>Submitted: the submitter's parallelism override (<c>submit -p</c>), or reactive mode's parallelism; Rescaled: the new parallelism.</summary>
    [Key(13)] public int? Parallelism { get; set; }
    /// <summary>Submitted: the job runs in reactive mode.</summary>
    [Key(14)] public bool Reactive { get; set; }
    /// <summary>Rescaled: how many rescales the job has had (its checkpoints are kept under a key of their own per rescale).</summary>
    [Key(15)] public int Generation { get; set; }
    /// <summary>Rescaled: why (worker nodes and slots), and <see cref="Savepoint"/> the savepoint the job restarts from.</summary>
    [Key(16)] public string? Reason { get; set; }
    /// <summary>Rescaled: the worker nodes the new parallelism was derived from.</summary>
    [Key(17)] public int Workers { get; set; }
    /// <summary>Submitted: the autoscaler's bounds, when the job is autoscaled.</summary>
    [Key(18)] public int? MinParallelism { get; set; }
    [Key(19)] public int? MaxParallelism { get; set; }

    public byte[] ToBytes() => MessagePackSerializer.Serialize(this);
    public static JobManagerEvent FromBytes(byte[] bytes) => MessagePackSerializer.Deserialize<JobManagerEvent>(bytes);
}
