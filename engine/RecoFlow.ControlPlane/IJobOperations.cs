namespace RecoFlow.ControlPlane;

/// <summary>
/// Body of <c>POST /api/jobs</c>: a built-in job by name with its parameters, or (with <see cref="Assembly"/>, base64)
/// a job class from a user's assembly; optionally the savepoint directory to start from.
/// </summary>
/// <param name="Parallelism">Overrides the job's default parallelism (Flink's <c>-p</c>); null keeps the job's own.</param>
/// <param name="Reactive">Reactive mode: the parallelism is worker nodes × slots per node, and the job is rescaled when nodes join or leave.</param>
/// <param name="MinParallelism">With <paramref name="MaxParallelism"/>: the autoscaler rescales the job between the two on its measured busy and backpressured time.</param>
/// <param name="MaxParallelism">The autoscaler's upper bound (default: the job's max parallelism).</param>
public sealed record JobSubmitRequest(string? Job, Dictionary<string, string>? Params, string? FromSavepoint, string? Assembly, string? JobClass, int? Parallelism = null, bool? Reactive = null,
    int? MinParallelism = null, int? MaxParallelism = null, string? StateBackend = null);

/// <summary>
/// Outcome of a job operation, as the HTTP layer answers it: <see cref="Status"/> is the HTTP status
/// (201 submitted, 200 done, 400 invalid submission, 404 no such job, 409 job already ended, 503 no job manager).
/// </summary>
public sealed record JobOperationResult(int Status, string? JobId = null, string? Savepoint = null, string? Error = null);

/// <summary>A savepoint to take (Flink's <c>savepoint ID [DIR]</c> and <c>stop [--drain]</c>).</summary>
/// <param name="Stop">Stop the job once the savepoint is written and its sinks committed.</param>
/// <param name="TargetDirectory">Absolute directory that every node can write (a shared file system), the savepoint goes into a new directory inside it; null: the job's own <c>savepoints</c> directory under the cluster's state directory.</param>
/// <param name="Drain">Sources end event time just before the savepoint, so every window and timer fires first (meant for a final stop).</param>
public sealed record SavepointCommand(bool Stop, string? TargetDirectory = null, bool Drain = false);

/// <summary>Submitting and operating jobs (a cluster node forwards these to its job manager).</summary>
public interface IJobOperations
{
    Task<JobOperationResult> SubmitAsync(JobSubmitRequest request, CancellationToken cancellationToken);
    Task<JobOperationResult> SavepointAsync(string jobId, SavepointCommand command, CancellationToken cancellationToken);
    Task<JobOperationResult> CancelAsync(string jobId, CancellationToken cancellationToken);
}
