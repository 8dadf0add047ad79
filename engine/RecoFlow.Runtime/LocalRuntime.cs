using Akka.Actor;
using Akka.Configuration;
using RecoFlow.Api.Graph;
using RecoFlow.Api.Operators;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Runtime;

/// <summary>Options of one job run.</summary>
public sealed record JobRunOptions
{
    /// <summary>Directory for the job's state (checkpoints, sink staging); null for none.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Where dead letters are appended as JSON lines; null keeps them in memory only.</summary>
    public string? DeadLetterFile { get; init; }

    /// <summary>Processing-time clock; tests inject a manual one.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    /// <summary>Checkpointing; null runs without checkpoints (a failure then fails the job unless a restart strategy is set).</summary>
    public CheckpointOptions? Checkpoints { get; init; }

    /// <summary>What happens after a failure. Default: none without checkpoints; exponential backoff (200 ms to 30 s) with them.</summary>
    public RestartStrategy? RestartStrategy { get; init; }

    /// <summary>Names the job's state in the checkpoint store (default: the job's name): a run with the same key resumes.</summary>
    public string? JobKey { get; init; }

    /// <summary>A savepoint directory to start from when the store holds no checkpoint of the job.</summary>
    public string? FromSavepoint { get; init; }

    /// <summary>Where tasks run; null runs every task in this actor system. A cluster node places keyed tasks across nodes.</summary>
    public ITaskPlacement? Placement { get; init; }
}

/// <summary>
/// The embedded runtime: one ActorSystem in this process running jobs with all their parallel tasks (Flink: MiniCluster).
/// </summary>
public sealed class LocalRuntime : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly bool _storeConfigured;
    private int _jobCounter;
    private bool _ownsSystem = true;

    private LocalRuntime(ActorSystem system, RuntimeSettings settings, bool storeConfigured)
    {
        _system = system;
        Settings = settings;
        _storeConfigured = storeConfigured;
    }

    /// <summary>The runtime's actor system (for hosts that add their own actors).</summary>
    public ActorSystem System => _system;

    public RuntimeSettings Settings { get; }

    /// <summary>Starts the runtime; <paramref name="config"/> overrides reference.conf.</summary>
    public static LocalRuntime Start(Config? config = null)
    {
        var full = (config ?? Config.Empty).WithFallback(RuntimeSettings.ReferenceConfig);
        var system = ActorSystem.Create("recoflow", full);
        return new LocalRuntime(system, RuntimeSettings.From(full), CheckpointStore.IsConfigured(full));
    }

    /// <summary>
    /// Runs jobs on an actor system that a host started (a cluster node): settings and checkpoint store come from
    /// that system's configuration, which should fall back to <see cref="RuntimeSettings.ReferenceConfig"/>.
    /// Disposing the runtime then leaves the system running: its host owns it.
    /// </summary>
    public static LocalRuntime Attach(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var config = system.Settings.Config.WithFallback(RuntimeSettings.ReferenceConfig);
        return new LocalRuntime(system, RuntimeSettings.From(config), CheckpointStore.IsConfigured(config)) { _ownsSystem = false };
    }

    /// <summary>Submits a validated job graph; returns at once with a client to follow it.</summary>
    public JobClient Submit(JobGraph graph, JobRunOptions? options = null)
    {
        options ??= new JobRunOptions();
        if (options.Checkpoints is { } cp)
        {
            cp.Validate();
            if (!_storeConfigured)
                throw new InvalidOperationException("checkpointing needs a checkpoint store: start the runtime with CheckpointStore.Sqlite(file) or CheckpointStore.Postgres(connection) in its configuration");
        }
        var plan = ExecutionPlan.Create(graph);
        var jobId = $"{graph.Name}-{Interlocked.Increment(ref _jobCounter)}";
        var completion = new TaskCompletionSource<JobResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var metrics = new JobMetrics();
        var deadLetters = new DeadLetterCollector(options.DeadLetterFile, Settings.DeadLettersKept);
        var environment = TaskEnvironment.Factory(Settings, graph, options.Clock, deadLetters, options.StateDirectory, options.Checkpoints is not null);
        var restart = options.RestartStrategy ?? (options.Checkpoints is null ? RestartStrategy.None : RestartStrategy.ExponentialBackoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30)));
        var settings = new JobMasterSettings(jobId, options.JobKey ?? graph.Name, options.Checkpoints, restart, options.FromSavepoint,
            options.StateDirectory is null ? null : Path.Combine(options.StateDirectory, "savepoints"), options.Placement, options.StateDirectory);
        var master = _system.ActorOf(JobMasterActor.Props(settings, plan, metrics, completion, environment), $"job-{Uri.EscapeDataString(jobId)}");
        return new JobClient(jobId, plan, master, completion.Task, metrics, deadLetters);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsSystem) await _system.Terminate();
    }
}

/// <summary>Follows and controls one running job.</summary>
public sealed class JobClient
{
    private readonly IActorRef _master;
    private readonly DeadLetterCollector _deadLetters;

    internal JobClient(string jobId, ExecutionPlan plan, IActorRef master, Task<JobResult> completion, JobMetrics metrics, DeadLetterCollector deadLetters)
    {
        JobId = jobId;
        Plan = plan;
        _master = master;
        Completion = completion.ContinueWith(t => { deadLetters.Dispose(); return t.Result; }, TaskScheduler.Default);
        Metrics = metrics;
        _deadLetters = deadLetters;
    }

    public string JobId { get; }
    public ExecutionPlan Plan { get; }
    public Task<JobResult> Completion { get; }
    public JobMetrics Metrics { get; }
    public long DeadLetterCount => _deadLetters.Count;
    public IReadOnlyList<DeadLetter> DeadLetters => _deadLetters.Recent;

    public void Cancel() => _master.Tell(new CancelJob());

    /// <summary>
    /// Takes a savepoint into <paramref name="directory"/> (a new <c>savepoint-ID-TIME</c> directory inside it) and
    /// returns its path; with <paramref name="stop"/> the job stops once it is written and its sinks committed.
    /// </summary>
    public async Task<string> TriggerSavepointAsync(string directory, bool stop = false, TimeSpan? timeout = null, bool drain = false)
    {
        var reply = await _master.Ask<object>(new TriggerSavepoint(Path.GetFullPath(directory), stop, drain), timeout ?? TimeSpan.FromMinutes(5));
        return reply switch
        {
            SavepointDone d => d.Path,
            SavepointFailed f => throw new InvalidOperationException($"savepoint failed: {f.Reason}"),
            _ => throw new InvalidOperationException($"savepoint failed: unexpected reply {reply.GetType().Name}"),
        };
    }

    /// <summary>Waits for the job to end; throws <see cref="JobFailedException"/> if it failed.</summary>
    public async Task<JobResult> WaitAsync(CancellationToken cancellationToken = default)
    {
        var result = await Completion.WaitAsync(cancellationToken);
        if (result.State == JobState.Failed) throw new JobFailedException(JobId, result.Failure!);
        return result;
    }
}

public sealed class JobFailedException : Exception
{
    public JobFailedException(string jobId, Exception cause) : base($"job {jobId} failed: {cause.Message}", cause) { }
    public JobFailedException() { }
    public JobFailedException(string message) : base(message) { }
}
