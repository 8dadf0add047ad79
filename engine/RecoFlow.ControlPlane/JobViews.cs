namespace RecoFlow.ControlPlane;

/// <summary>Operator chains (vertices) and network edges of a job's execution plan.</summary>
public sealed record JobGraphView(IReadOnlyList<VertexView> Vertices, IReadOnlyList<EdgeView> Edges);

/// <param name="Operators">The chained operators, head first.</param>
public sealed record VertexView(int Id, string Name, int Parallelism, IReadOnlyList<OperatorView> Operators);

public sealed record OperatorView(string Name, string Kind);

/// <param name="Partitioning">forward, hash, broadcast or rebalance.</param>
public sealed record EdgeView(int From, int To, string Partitioning);

/// <summary>One checkpoint (Flink's checkpoint history entry).</summary>
/// <param name="Status">IN_PROGRESS, COMPLETED or FAILED.</param>
public sealed record CheckpointView(long Id, DateTimeOffset TriggerTime, long? DurationMs, long? SizeBytes, long? AlignmentMs, string Status, string? FailureCause, long? FullSizeBytes = null);

/// <summary>How many checkpoints a job completed and failed since it (this attempt of its submission) started.</summary>
public sealed record CheckpointCounts(long Completed, long Failed);
