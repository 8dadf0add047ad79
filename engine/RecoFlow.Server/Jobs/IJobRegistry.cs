namespace RecoFlow.Server.Jobs;

/// <summary>Job status as the API reports it (Flink's JobStatus names).</summary>
public enum JobStatus { Created, Running, Restarting, Finished, Failed, Canceled }

/// <summary>
/// The jobs a node's HTTP layer shows and controls. The embedded runtime's implementation is
/// <see cref="LocalJobRegistry"/>; a cluster node will implement it over the job manager.
/// </summary>
public interface IJobRegistry
{
    IReadOnlyList<IJobHandle> Jobs { get; }
    IJobHandle? Find(string jobId);
}

/// <summary>One job as the HTTP layer sees it. Counters are cumulative; rates are computed by <see cref="JobMetricsSampler"/>.</summary>
public interface IJobHandle
{
    string Id { get; }
    string Name { get; }
    DateTimeOffset SubmittedAt { get; }
    /// <summary>When the job ended; null while it runs.</summary>
    DateTimeOffset? EndedAt { get; }
    JobStatus Status { get; }
    string? FailureCause { get; }
    /// <summary>Restarts since submission; null when the runtime does not report them.</summary>
    int? Restarts { get; }
    JobGraphView Graph { get; }
    long DeadLetterCount { get; }
    /// <summary>Checkpoint history, newest last; empty when the runtime takes none.</summary>
    IReadOnlyList<CheckpointView> Checkpoints { get; }
    /// <summary>Current cumulative counters of every task.</summary>
    IReadOnlyList<TaskCounters> SampleTasks();
    void Cancel();

    /// <summary>Address of the node running the job; null on a node running alone.</summary>
    string? Node => null;
}

/// <summary>Operator chains (vertices) and network edges of a job's execution plan.</summary>
public sealed record JobGraphView(IReadOnlyList<VertexView> Vertices, IReadOnlyList<EdgeView> Edges);

/// <param name="Operators">The chained operators, head first.</param>
public sealed record VertexView(int Id, string Name, int Parallelism, IReadOnlyList<OperatorView> Operators);

public sealed record OperatorView(string Name, string Kind);

/// <param name="Partitioning">forward, hash, broadcast or rebalance.</param>
public sealed record EdgeView(int From, int To, string Partitioning);

/// <summary>One checkpoint (Flink's checkpoint history entry).</summary>
/// <param name="Status">IN_PROGRESS, COMPLETED or FAILED.</param>
public sealed record CheckpointView(long Id, DateTimeOffset TriggerTime, long? DurationMs, long? SizeBytes, long? AlignmentMs, string Status, string? FailureCause);

/// <summary>
/// Cumulative counters of one task. <see cref="RecordsIn"/> counts records received over channels plus records read
/// by the task's source; <see cref="RecordsOut"/> records sent over channels plus records written by its sinks.
/// </summary>
/// <param name="Watermark">Current event-time watermark (epoch ms); null before the first one.</param>
/// <param name="Running">How long the task has been running (busy + idle + backpressured); zero before it starts.</param>
/// <param name="Node">The node the task runs on when it is not the job master's (a keyed task placed across the cluster).</param>
public sealed record TaskCounters(
    string TaskId, int VertexId, int Subtask, string Name, string State,
    long RecordsIn, long RecordsOut, long RecordsRead, long RecordsWritten,
    TimeSpan Busy, TimeSpan Backpressured, TimeSpan Running, long? Watermark, string? Node = null);
