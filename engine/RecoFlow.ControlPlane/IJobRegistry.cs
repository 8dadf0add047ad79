using RecoFlow.Runtime.Execution;

namespace RecoFlow.ControlPlane;

/// <summary>
/// The jobs a node's HTTP layer shows and controls. The embedded runtime's implementation is
/// <see cref="LocalJobRegistry"/>; a cluster node's is ClusterJobRegistry, over the job manager.
/// </summary>
public interface IJobRegistry
{
    IReadOnlyList<IJobHandle> Jobs { get; }
    IJobHandle? Find(string jobId);
}

/// <summary>One job as the HTTP layer sees it. Counters are cumulative; rates are computed by the web layer's JobMetricsSampler.</summary>
public interface IJobHandle
{
    string Id { get; }
    string Name { get; }
    DateTimeOffset SubmittedAt { get; }
    /// <summary>When the job ended; null while it runs.</summary>
    DateTimeOffset? EndedAt { get; }
    /// <summary>The job's state (Flink's JobState names; the API prints them upper-case).</summary>
    JobState Status { get; }
    string? FailureCause { get; }
    /// <summary>Restarts since submission; null when the runtime does not report them.</summary>
    int? Restarts { get; }
    JobGraphView Graph { get; }
    long DeadLetterCount { get; }
    /// <summary>Checkpoint history, newest last; empty when the runtime takes none.</summary>
    IReadOnlyList<CheckpointView> Checkpoints { get; }
    /// <summary>Checkpoints completed and failed so far (for counters: the history above is bounded); null when the runtime takes none.</summary>
    CheckpointCounts? CheckpointTotals => null;

    /// <summary>Current cumulative counters of every task.</summary>
    IReadOnlyList<TaskCounters> SampleTasks();
    void Cancel();

    /// <summary>Address of the node running the job; null on a node running alone.</summary>
    string? Node => null;

    /// <summary>The job's parallelism (its default parallelism: what <c>-p</c> or reactive mode set); null when not known.</summary>
    int? Parallelism => null;

    /// <summary>How the job is scaled and the rescale decisions so far; null for a job with a fixed parallelism.</summary>
    ScalingView? Scaling => null;
}
