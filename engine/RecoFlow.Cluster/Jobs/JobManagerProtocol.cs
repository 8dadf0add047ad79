using RecoFlow.ControlPlane;

namespace RecoFlow.Cluster.Jobs;

/// <summary>Marker of the job manager's protocol: bound to the MessagePack serializer in cluster.conf.</summary>
public interface IJobManagerMessage;

/// <summary>
/// What a client submits: a built-in job by name, or (with <see cref="Assembly"/>) a job class from a user's assembly;
/// its parameters; optionally a savepoint directory to start from. With <see cref="Reactive"/> the job manager chooses
/// the parallelism from the worker nodes and rescales the job when they change (<see cref="ReactiveScaler"/>); with
/// <see cref="MinParallelism"/> (and <see cref="MaxParallelism"/>) the autoscaler rescales it on its load (<see cref="AutoscalerPolicy"/>).
/// </summary>
public sealed record JobSubmission(
    string Job,
    IReadOnlyDictionary<string, string> Parameters,
    string? FromSavepoint = null,
    byte[]? Assembly = null,
    string? JobClass = null,
    int? Parallelism = null,
    bool Reactive = false,
    int? MinParallelism = null,
    int? MaxParallelism = null,
    Api.State.StateBackendKind? StateBackend = null);

/// <summary>Submit a job; answered with <see cref="JobAccepted"/> or <see cref="JobRejected"/> (nothing started).</summary>
public sealed record SubmitJob(JobSubmission Submission) : IJobManagerMessage;

public sealed record JobAccepted(string JobId) : IJobManagerMessage;

/// <summary>The submission is invalid: <see cref="Reason"/> names the cause (unknown job, bad parameter, invalid graph).</summary>
public sealed record JobRejected(string Reason) : IJobManagerMessage;

/// <summary>Asks for every job the job manager knows; answered with <see cref="JobList"/>.</summary>
public sealed record ListJobs : IJobManagerMessage;

public sealed record JobList(IReadOnlyList<JobSnapshot> Jobs, string JobManagerNode) : IJobManagerMessage;

/// <summary>Cancel a job; answered with <see cref="JobCommandDone"/> or <see cref="JobCommandFailed"/>.</summary>
public sealed record CancelClusterJob(string JobId) : IJobManagerMessage;

/// <summary>
/// Take a savepoint of a job (and with <see cref="Stop"/> stop it after), into <see cref="TargetDirectory"/> or the
/// job's own savepoints directory; with <see cref="Drain"/> event time ends first. Answered with the savepoint's path.
/// </summary>
public sealed record SavepointClusterJob(string JobId, bool Stop, string? TargetDirectory = null, bool Drain = false) : IJobManagerMessage;

public sealed record JobCommandDone(string JobId, string? SavepointPath) : IJobManagerMessage;

/// <param name="NotFound">True when no job has that id.</param>
public sealed record JobCommandFailed(string Reason, bool NotFound) : IJobManagerMessage;

/// <summary>
/// One job as the job manager sees it. <see cref="State"/> is Flink's job status name in capitals (CREATED, RUNNING,
/// RESTARTING, FINISHED, FAILED, CANCELED); <see cref="Restarts"/> counts restarts inside a run plus resubmissions
/// after the job manager moved; <see cref="Node"/> is the address of the node running it; <see cref="Parallelism"/> its
/// default parallelism now; <see cref="Scaling"/> its rescale decisions when it runs in reactive mode.
/// </summary>
public sealed record JobSnapshot(
    string Id,
    string Job,
    string State,
    int Restarts,
    int Resubmissions,
    long? LastCheckpoint,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? EndedAt,
    string? FailureCause,
    string Node,
    string? Savepoint,
    long DeadLetters,
    JobGraphView? Graph,
    IReadOnlyList<CheckpointView> Checkpoints,
    IReadOnlyList<TaskCounters> Tasks,
    CheckpointCounts? CheckpointTotals = null,
    int? Parallelism = null,
    ScalingView? Scaling = null);
