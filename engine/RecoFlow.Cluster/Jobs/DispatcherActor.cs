using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.ControlPlane;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// The cluster's job manager (Flink: Dispatcher; the singleton, its role and its journal keep the name "job-manager"):
/// it owns the submitted jobs, runs their job masters on the node that hosts it through the embedded runtime (keyed
/// tasks go to the task region, spread over the nodes, when one is given), and journals every submission and every
/// end. A new job manager (after its node left or died) replays the journal and resubmits the jobs that had not ended;
/// they resume from their last completed checkpoint, which is why the checkpoint store and the state directory must be shared.
/// Jobs submitted in reactive mode are rescaled when worker nodes join or leave (DispatcherActor.Reactive.cs).
/// </summary>
public sealed partial class DispatcherActor : UntypedPersistentActor
{
    public const string PersistenceIdValue = "recoflow/job-manager";

    private readonly LocalRuntime _runtime;
    private readonly IJobCatalog _catalog;
    private readonly JobCodeCache _code;
    private readonly IActorRef? _taskRegion;
    private readonly JobManagerSettings _settings;
    private readonly string _node;
    private readonly Dictionary<string, Entry> _jobs = new(StringComparer.Ordinal);
    private readonly LocalJobRegistry _views = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public DispatcherActor(LocalRuntime runtime, IJobCatalog catalog, JobCodeCache code, IActorRef? taskRegion, JobManagerSettings settings)
    {
        _runtime = runtime;
        _catalog = catalog;
        _code = code;
        _taskRegion = taskRegion;
        _settings = settings;
        _node = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        _scaler = new ReactiveScaler(settings.SlotsPerNode, settings.ReactiveStabilization, settings.ReactiveRetryDelay);
    }

    /// <param name="code">This node's loaded job code, shared with the tasks it hosts.</param>
    /// <param name="taskRegion">The <c>recoflow-task</c> shard region for keyed tasks; null runs every task on this node.</param>
    public static Props Props(LocalRuntime runtime, IJobCatalog catalog, JobCodeCache code, IActorRef? taskRegion, JobManagerSettings settings) =>
        Akka.Actor.Props.Create(() => new DispatcherActor(runtime, catalog, code, taskRegion, settings));

    public override string PersistenceId => PersistenceIdValue;

    private sealed record RunEnded(string JobId, int Attempt, JobResult? Result, string? Failure);

    /// <summary>
    /// The singleton's termination message: the job manager moves to another node (this one leaves the cluster). It
    /// cancels its jobs, waits until they have stopped (so the next job manager never runs a job while this node still
    /// writes its output or checkpoints), and stops; the ends are not journaled, so the next job manager resubmits them.
    /// </summary>
    public sealed record HandOver
    {
        public static readonly HandOver Instance = new();
    }

    private sealed record JobsStopped;

    private bool _handingOver;

    protected override void PreStart()
    {
        // Worth a line in every node's log: where the job manager runs now (the log level of a node is WARNING).
        _log.Warning("job manager starting on {Node}", _node);
        StartFollowingWorkers();
        base.PreStart();
    }

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case byte[] bytes:
                Apply(JobManagerEvent.FromBytes(bytes));
                break;
            case RecoveryCompleted:
                _log.Warning("job manager on {Node} recovered {JobCount} jobs", _node, _jobs.Count);
                var pending = _jobs.Values.Where(j => j.EndState is null).OrderBy(j => j.Submitted.At).ToList();
                var events = pending.Select(e => new JobManagerEvent { Kind = JobManagerEventKind.Resubmitted, JobId = e.Id, At = DateTime.UtcNow, Node = _node }).ToList();
                PersistAll(events.Select(e => e.ToBytes()), bytes =>
                {
                    var resubmitted = JobManagerEvent.FromBytes(bytes);
                    Apply(resubmitted);
                    var e = _jobs[resubmitted.JobId];
                    _log.Warning("job manager on {Node}: resubmitting job {JobId} ({Job}); it resumes from its last completed checkpoint", _node, e.Id, e.Submitted.Job);
                    StartRun(e);
                });
                break;
        }
    }

    private void Apply(JobManagerEvent e)
    {
        switch (e.Kind)
        {
            case JobManagerEventKind.Submitted:
                _jobs[e.JobId] = new Entry(e) { Node = e.Node };
                break;
            case JobManagerEventKind.Resubmitted when _jobs.TryGetValue(e.JobId, out var r):
                r.Resubmissions++;
                r.Node = e.Node ?? r.Node;
                break;
            case JobManagerEventKind.Rescaled when _jobs.TryGetValue(e.JobId, out var g):
                ApplyRescaled(g, e);
                break;
            case JobManagerEventKind.Ended when _jobs.TryGetValue(e.JobId, out var x):
                x.EndState = e.State;
                x.FailureCause = e.FailureCause;
                x.EndedAt = new DateTimeOffset(e.At, TimeSpan.Zero);
                x.Savepoint = e.Savepoint ?? x.Savepoint;
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case SubmitJob s:
                Submit(s.Submission);
                break;
            case ListJobs:
                Sender.Tell(new JobList(_jobs.Values.OrderBy(j => j.Submitted.At).Select(Snapshot).ToList(), _node));
                break;
            case CancelClusterJob c:
                if (Running(c.JobId, out var toCancel) is { } cancelError) Sender.Tell(cancelError);
                else
                {
                    toCancel!.Client!.Cancel();
                    Sender.Tell(new JobCommandDone(c.JobId, null));
                }
                break;
            case SavepointClusterJob p:
                if (Running(p.JobId, out var toSavepoint) is { } spError) Sender.Tell(spError);
                else Savepoint(toSavepoint!, p, Sender);
                break;
            case RunEnded r:
                if (_handingOver) break;
                // A rescale stops the run on purpose: its end is not the job's, unless the rescale fails.
                if (_jobs.TryGetValue(r.JobId, out var rescaled) && rescaled.Rescaling is not null && rescaled.ClientAttempt == r.Attempt) rescaled.PendingEnd = r;
                else Ended(r);
                break;
            case ReactiveTick:
                if (_handingOver) break;
                ReactiveCheck();
                AutoscalerCheck();
                break;
            case RescaleStopped stopped:
                RescaleDone(stopped);
                break;
            case ClusterEvent.CurrentClusterState or ClusterEvent.IMemberEvent:
                WorkersChanged(message);
                break;
            case HandOver:
                HandOverJobs();
                break;
            case JobsStopped:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void HandOverJobs()
    {
        if (_handingOver) return;
        _handingOver = true;
        var running = _jobs.Values.Where(e => e.EndState is null && e.Client is { Completion.IsCompleted: false }).Select(e => e.Client!).ToList();
        _log.Info("job manager on {Node} hands over: stopping {JobCount} running jobs", _node, running.Count);
        foreach (var c in running) c.Cancel();
        Task.WhenAll(running.Select(c => c.Completion)).WaitAsync(_settings.HandOverTimeout)
            .ContinueWith(_ => new JobsStopped(), TaskScheduler.Default)
            .PipeTo(Self);
    }

    private JobCommandFailed? Running(string id, out Entry? entry)
    {
        if (!_jobs.TryGetValue(id, out entry)) return new JobCommandFailed($"no job {id}", NotFound: true);
        if (entry.EndState is not null || entry.Client is null) return new JobCommandFailed($"job {id} already ended ({entry.EndState ?? "not running"})", NotFound: false);
        return null;
    }

    private void Submit(JobSubmission submission)
    {
        var replyTo = Sender;
        var started = DateTime.UtcNow;
        void Span(string? id, string? refused) => Runtime.Observability.RecoFlowTracing.Record("job.submit", started, DateTime.UtcNow,
            [new("recoflow.job.name", submission.Job), new("recoflow.job.id", id), new("recoflow.parallelism", submission.Parallelism), new("recoflow.from_savepoint", submission.FromSavepoint)], refused);
        try
        {
            // Validate first: nothing is journaled or started for a submission that cannot run.
            ValidateSubmission(submission);
            CheckSharedState(submission);
            if (submission.Reactive) submission = ReactiveSubmission(submission);
            else if (submission.MinParallelism is not null) submission = AutoscaledSubmission(submission);
            using var validated = _catalog.Load(submission);
            ExecutionPlan.Create(validated.Graph);
        }
        catch (JobSubmissionException e)
        {
            Span(null, e.Message);
            replyTo.Tell(new JobRejected(e.Message));
            return;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            Span(null, e.Message);
            replyTo.Tell(new JobRejected($"job '{submission.Job}': {e.Message}"));
            return;
        }
        var id = $"{submission.Job.Split('.', '/', '\\')[^1].ToLowerInvariant()}-{Guid.NewGuid():N}"[..^24];
        var submitted = new JobManagerEvent
        {
            Kind = JobManagerEventKind.Submitted,
            JobId = id,
            At = DateTime.UtcNow,
            Job = submission.Job,
            Parameters = submission.Parameters.ToDictionary(StringComparer.Ordinal),
            FromSavepoint = submission.FromSavepoint,
            Assembly = submission.Assembly,
            JobClass = submission.JobClass,
            Node = _node,
            Parallelism = submission.Parallelism,
            Reactive = submission.Reactive,
            MinParallelism = submission.MinParallelism,
            MaxParallelism = submission.MaxParallelism,
        };
        Persist(submitted.ToBytes(), _ =>
        {
            Apply(submitted);
            if (submission.Reactive)
                _log.Warning("job {JobId}: reactive mode, parallelism {Parallelism} ({Workers} worker nodes x {Slots} slots per node, max parallelism capping it)",
                    id, submission.Parallelism, _scaler.Workers, _scaler.SlotsPerNode);
            StartRun(_jobs[id]);
            Span(id, null);
            replyTo.Tell(new JobAccepted(id));
        });
    }

    private static void ValidateSubmission(JobSubmission s)
    {
        if (string.IsNullOrWhiteSpace(s.Job)) throw new JobSubmissionException("no job named: give a built-in job name (or an assembly and --job-class)");
        if (s.FromSavepoint is { } sp && !Directory.Exists(sp)) throw new JobSubmissionException($"savepoint not found: {sp}");
    }

    /// <summary>
    /// Every job is checkpointed; its tasks and its job manager may run on any node with the worker or job-manager
    /// role, so those must share one state directory and checkpoint store (as they advertise in their roles).
    /// </summary>
    private void CheckSharedState(JobSubmission submission)
    {
        var nodes = SharedStateCheck.Members(Akka.Cluster.Cluster.Get(Context.System).State);
        if (SharedStateCheck.Check(submission.Job, nodes) is { } refused) throw new JobSubmissionException(refused);
    }

    private string JobDirectory(string id) => Path.Combine(_settings.StateDirectory, "jobs", id);

    private void StartRun(Entry entry)
    {
        var self = Self;
        var attempt = ++entry.ClientAttempt;
        try
        {
            entry.Loaded?.Dispose();
            entry.Loaded = _code.Acquire(entry.RunKey, entry.Submission);
            var graph = entry.Loaded.Plan.Graph;
            entry.MaxParallelism = graph.MaxParallelism;
            var dir = JobDirectory(entry.Id);
            Directory.CreateDirectory(dir);
            var client = _runtime.Submit(graph, new JobRunOptions
            {
                StateDirectory = dir,
                Checkpoints = new CheckpointOptions { Interval = _settings.CheckpointInterval },
                JobKey = entry.RunKey,
                FromSavepoint = entry.Submission.FromSavepoint,
                Placement = _taskRegion is null ? null : new ShardedTaskPlacement(_taskRegion, entry.RunKey, entry.Submission, _settings.PlacementTimeout),
            });
            entry.Client = client;
            entry.View = _views.Add(client, () => Checkpoints(client), () => client.Metrics.Restarts);
            client.Completion.ContinueWith(
                t => t.IsCompletedSuccessfully ? new RunEnded(entry.Id, attempt, t.Result, null) : new RunEnded(entry.Id, attempt, null, t.Exception?.GetBaseException().Message ?? "canceled"),
                TaskScheduler.Default).PipeTo(self);
        }
        catch (Exception e)
        {
            _log.Error(e, "job {JobId} could not start", entry.Id);
            self.Tell(new RunEnded(entry.Id, attempt, null, e.Message));
        }
    }

    private void Ended(RunEnded r)
    {
        if (!_jobs.TryGetValue(r.JobId, out var entry) || entry.ClientAttempt != r.Attempt || entry.EndState is not null) return;
        entry.Loaded?.Dispose();
        entry.Loaded = null;
        var state = r.Result?.State switch
        {
            JobState.Finished => "FINISHED",
            JobState.Canceled => "CANCELED",
            _ => "FAILED",
        };
        var ended = new JobManagerEvent
        {
            Kind = JobManagerEventKind.Ended,
            JobId = r.JobId,
            At = DateTime.UtcNow,
            State = state,
            FailureCause = r.Result?.Failure?.Message ?? r.Failure,
            Savepoint = entry.Client?.Metrics.SavepointPath,
        };
        Persist(ended.ToBytes(), _ => Apply(ended));
    }

    private void Savepoint(Entry entry, SavepointClusterJob request, IActorRef replyTo)
    {
        var id = entry.Id;
        var directory = request.TargetDirectory ?? Path.Combine(JobDirectory(id), "savepoints");
        entry.Client!.TriggerSavepointAsync(directory, request.Stop, _settings.SavepointTimeout, request.Drain)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? (object)new JobCommandDone(id, t.Result)
                : new JobCommandFailed(t.Exception?.GetBaseException().Message ?? "savepoint canceled", NotFound: false), TaskScheduler.Default)
            .PipeTo(replyTo);
    }

    private JobSnapshot Snapshot(Entry e)
    {
        var metrics = e.Client?.Metrics;
        var running = e.EndState is null && e.Client is { Completion.IsCompleted: false };
        // The runtime's state turns terminal a moment before the job's end is journaled with its time: until then the job
        // is reported as running, so that FINISHED always comes with ended_at.
        var live = running ? metrics!.State : JobState.Created;
        var state = e.EndState ?? (e.Rescaling is not null ? "RESTARTING" : live is JobState.Finished or JobState.Failed or JobState.Canceled ? "RUNNING" : live.ToString().ToUpperInvariant());
        return new JobSnapshot(
            e.Id,
            e.Submitted.Job!,
            state,
            (metrics?.Restarts ?? 0) + e.Resubmissions,
            e.Resubmissions,
            metrics?.Checkpoints.LastOrDefault(c => c.Status == CheckpointStatus.Completed)?.Id,
            new DateTimeOffset(e.Submitted.At, TimeSpan.Zero),
            e.EndedAt,
            e.FailureCause,
            e.Node ?? _node,
            e.Savepoint ?? metrics?.SavepointPath,
            e.Client?.DeadLetterCount ?? 0,
            e.View?.Graph,
            e.View?.Checkpoints ?? [],
            // An ended job keeps its tasks' final figures (and where they ran), as Flink's job history does.
            e.View?.SampleTasks() ?? [],
            metrics is null ? null : new CheckpointCounts(metrics.CheckpointsCompleted, metrics.CheckpointsFailed),
            e.Parallelism ?? e.View?.Graph.Vertices.Select(v => (int?)v.Parallelism).Max(),
            e.Submitted.Reactive ? new ScalingView("reactive", e.Decisions.ToList())
            : e.Autoscaled ? new ScalingView("autoscaler", e.Decisions.ToList(), e.Submitted.MinParallelism, e.Submitted.MaxParallelism)
            : null);
    }

    private static IReadOnlyList<CheckpointView> Checkpoints(JobClient client) =>
        client.Metrics.Checkpoints.Select(c => new CheckpointView(
            c.Id,
            new DateTimeOffset(DateTime.SpecifyKind(c.TriggeredAt, DateTimeKind.Utc)),
            (long)c.DurationMs,
            c.SizeBytes,
            (long)c.AlignmentMs,
            c.Status == CheckpointStatus.Completed ? "COMPLETED" : "FAILED",
            c.FailureCause,
            c.Status == CheckpointStatus.Completed ? Math.Max(c.FullSizeBytes, c.SizeBytes) : null)).ToList();

    protected override void PostStop()
    {
        StopFollowingWorkers();
        // Stopped without a hand-over (the actor system is terminating): the jobs end with it.
        foreach (var e in _jobs.Values)
        {
            e.Client?.Cancel();
            e.Loaded?.Dispose();
        }
        base.PostStop();
    }
}
