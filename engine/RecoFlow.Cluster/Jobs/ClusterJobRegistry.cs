using Akka.Actor;
using RecoFlow.ControlPlane;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// A node's view of the cluster's jobs for its HTTP layer: a copy of the job manager's list, refreshed every
/// <c>refresh</c> and after every operation, and the operations themselves, forwarded to the job manager singleton
/// through its proxy. While the job manager moves (a node died), the list is the last one seen and operations answer 503.
/// </summary>
public sealed class ClusterJobRegistry : IJobRegistry, IJobOperations, IJobManagerProbe, IAsyncDisposable
{
    private readonly IActorRef _jobManager;
    private readonly TimeSpan _askTimeout;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile IReadOnlyList<ClusterJobHandle> _jobs = [];

    public ClusterJobRegistry(IActorRef jobManagerProxy, TimeSpan refresh, TimeSpan askTimeout)
    {
        _jobManager = jobManagerProxy;
        _askTimeout = askTimeout;
        _loop = RefreshLoopAsync(refresh);
    }

    public IReadOnlyList<IJobHandle> Jobs => _jobs;

    public IJobHandle? Find(string jobId) => _jobs.FirstOrDefault(j => j.Id == jobId);

    public Task<bool> JobManagerAnswersAsync(CancellationToken cancellationToken) => RefreshAsync(cancellationToken);

    /// <summary>Asks the job manager for its list now; false when it did not answer in time.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var list = await _jobManager.Ask<JobList>(new ListJobs(), _askTimeout, cancellationToken);
            _jobs = list.Jobs.Select(j => new ClusterJobHandle(j, this)).ToList();
            return true;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task RefreshLoopAsync(TimeSpan refresh)
    {
        using var timer = new PeriodicTimer(refresh);
        try
        {
            do await RefreshAsync(_stop.Token);
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) { }
    }

    public async Task<JobOperationResult> SubmitAsync(JobSubmitRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Job) && string.IsNullOrWhiteSpace(request.JobClass))
            return new JobOperationResult(400, Error: "missing \"job\": the name of a built-in job (see 'recoflow jobs')");
        byte[]? assembly = null;
        if (request.Assembly is { Length: > 0 } b64)
        {
            try { assembly = Convert.FromBase64String(b64); }
            catch (FormatException) { return new JobOperationResult(400, Error: "\"assembly\" is not valid base64"); }
            if (string.IsNullOrWhiteSpace(request.JobClass)) return new JobOperationResult(400, Error: "an assembly needs \"job_class\": the full name of its IJobDefinition class");
        }
        if (request.Parallelism is < 1) return new JobOperationResult(400, Error: $"\"parallelism\" must be at least 1, got {request.Parallelism}");
        if (request.MinParallelism is < 1) return new JobOperationResult(400, Error: $"\"min_parallelism\" must be at least 1, got {request.MinParallelism}");
        if (request.MaxParallelism is { } maxP && maxP < (request.MinParallelism ?? 1))
            return new JobOperationResult(400, Error: $"\"max_parallelism\" ({maxP}) must not be below \"min_parallelism\" ({request.MinParallelism ?? 1})");
        Api.State.StateBackendKind? backend = null;
        if (request.StateBackend is { } name)
        {
            try { backend = Api.State.StateBackends.Parse(name); }
            catch (ArgumentException) { return new JobOperationResult(400, Error: $"unknown \"state_backend\" '{name}' (known: {string.Join(", ", Api.State.StateBackends.Names)})"); }
        }
        var submission = new JobSubmission(request.Job ?? request.JobClass!, request.Params ?? [], request.FromSavepoint, assembly, request.JobClass, request.Parallelism, request.Reactive ?? false,
            request.MinParallelism ?? (request.MaxParallelism is null ? null : 1), request.MaxParallelism, backend);
        return await AskAsync(new SubmitJob(submission), cancellationToken, r => r switch
        {
            JobAccepted a => new JobOperationResult(201, a.JobId),
            JobRejected x => new JobOperationResult(400, Error: x.Reason),
            _ => null,
        });
    }

    public Task<JobOperationResult> SavepointAsync(string jobId, SavepointCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.TargetDirectory is { } dir && !Path.IsPathFullyQualified(dir))
            return Task.FromResult(new JobOperationResult(400, Error: $"the savepoint's target directory must be an absolute path that every node can write, got '{dir}'"));
        return AskAsync(new SavepointClusterJob(jobId, command.Stop, command.TargetDirectory, command.Drain), cancellationToken, Command);
    }

    public Task<JobOperationResult> CancelAsync(string jobId, CancellationToken cancellationToken) =>
        AskAsync(new CancelClusterJob(jobId), cancellationToken, Command);

    private static JobOperationResult? Command(object reply) => reply switch
    {
        JobCommandDone d => new JobOperationResult(200, d.JobId, d.SavepointPath),
        JobCommandFailed { NotFound: true } f => new JobOperationResult(404, Error: f.Reason),
        JobCommandFailed f => new JobOperationResult(409, Error: f.Reason),
        _ => null,
    };

    private async Task<JobOperationResult> AskAsync(object message, CancellationToken cancellationToken, Func<object, JobOperationResult?> map)
    {
        object reply;
        try
        {
            // Savepoints may take a while; submissions and cancels answer at once.
            var timeout = message is SavepointClusterJob ? _askTimeout * 20 : _askTimeout;
            reply = await _jobManager.Ask<object>(message, timeout, cancellationToken);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return new JobOperationResult(503, Error: "the job manager did not answer (it may be moving to another node); try again");
        }
        await RefreshAsync(cancellationToken);
        return map(reply) ?? new JobOperationResult(500, Error: $"unexpected reply {reply.GetType().Name} from the job manager");
    }

    internal void CancelInBackground(string jobId) => _jobManager.Tell(new CancelClusterJob(jobId));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>A job as the last list from the job manager showed it.</summary>
internal sealed class ClusterJobHandle(JobSnapshot s, ClusterJobRegistry registry) : IJobHandle
{
    public JobSnapshot Snapshot => s;
    public string Id => s.Id;
    public string Name => s.Job;
    public DateTimeOffset SubmittedAt => s.SubmittedAt;
    public DateTimeOffset? EndedAt => s.EndedAt;
    public JobState Status => Enum.TryParse<JobState>(s.State, ignoreCase: true, out var st) ? st : JobState.Created;
    public string? FailureCause => s.FailureCause;
    public int? Restarts => s.Restarts;
    public JobGraphView Graph => s.Graph ?? new JobGraphView([], []);
    public long DeadLetterCount => s.DeadLetters;
    public IReadOnlyList<CheckpointView> Checkpoints => s.Checkpoints;
    public CheckpointCounts? CheckpointTotals => s.CheckpointTotals;
    public IReadOnlyList<TaskCounters> SampleTasks() => s.Tasks;
    public void Cancel() => registry.CancelInBackground(s.Id);
    public string? Node => s.Node;
    public int? Parallelism => s.Parallelism;
    public ScalingView? Scaling => s.Scaling;
}
