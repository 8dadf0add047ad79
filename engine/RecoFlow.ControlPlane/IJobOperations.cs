namespace RecoFlow.ControlPlane;

/// <summary>
/// Body of <c>POST /api/jobs</c>: a built-in job by name with its parameters, or (with <see cref="Assembly"/>, base64)
/// a job class from a user's assembly; optionally the savepoint directory to start from.
/// </summary>
public sealed record JobSubmitRequest(string? Job, Dictionary<string, string>? Params, string? FromSavepoint, string? Assembly, string? JobClass);

/// <summary>
/// Outcome of a job operation, as the HTTP layer answers it: <see cref="Status"/> is the HTTP status
/// (201 submitted, 200 done, 400 invalid submission, 404 no such job, 409 job already ended, 503 no job manager).
/// </summary>
public sealed record JobOperationResult(int Status, string? JobId = null, string? Savepoint = null, string? Error = null);

/// <summary>Submitting and operating jobs (a cluster node forwards these to its job manager).</summary>
public interface IJobOperations
{
    Task<JobOperationResult> SubmitAsync(JobSubmitRequest request, CancellationToken cancellationToken);
    Task<JobOperationResult> SavepointAsync(string jobId, bool stop, CancellationToken cancellationToken);
    Task<JobOperationResult> CancelAsync(string jobId, CancellationToken cancellationToken);
}
