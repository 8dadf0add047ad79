using Akka.Actor;
using Akka.Event;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Coordination;

namespace RecoFlow.Runtime.Execution;

public enum JobState { Created, Running, Restarting, Finished, Failed, Canceled }

/// <summary>How a job run ended.</summary>
public sealed record JobResult(string JobId, JobState State, Exception? Failure, TimeSpan Duration)
{
    /// <summary>Times the job restarted after a failure.</summary>
    public int Restarts { get; init; }

    /// <summary>The checkpoint (or savepoint) the run started from, if any.</summary>
    public long? RestoredFrom { get; init; }

    /// <summary>The run resumed from the final checkpoint of a run that had already finished: nothing was left to do.</summary>
    public bool AlreadyFinished { get; init; }

    /// <summary>The last completed checkpoint, if any.</summary>
    public long? LastCheckpoint { get; init; }

    /// <summary>The savepoint taken when the job was stopped with one.</summary>
    public string? SavepointPath { get; init; }
}

/// <summary>What the job master needs besides the plan.</summary>
internal sealed record JobMasterSettings(
    string JobId,
    string JobKey,
    CheckpointOptions? Checkpoints,
    RestartStrategy Restart,
    string? FromSavepoint,
    string? SavepointDirectory,
    ITaskPlacement? Placement = null,
    string? StateDirectory = null);

/// <summary>
/// Runs a job (Flink: JobMaster): thin glue between messages and the classes that decide. Tasks are created (or placed
/// elsewhere) per attempt (<see cref="ExecutionAttempt"/>), wired by <see cref="DeploymentPlanner"/> and started once
/// all are deployed; checkpoints are decided by the <see cref="CheckpointCoordinator"/> (barriers at the sources, acks,
/// timeouts, the final checkpoint) and made durable by the <see cref="CheckpointStoreActor"/>; on any failure (a task
/// throws, a channel loses a message, a checkpoint times out or is declined) the <see cref="FailoverHandler"/> decides
/// whether to restart a new attempt from the last completed checkpoint. The phases of the job are Akka behaviours
/// (<c>Become</c>): Restoring, Deploying, Running, Restarting, Done, and two that stash every other message while a
/// savepoint is read or written off the actor thread.
/// </summary>
internal sealed partial class JobMasterActor : UntypedActor, IWithTimers, IWithUnboundedStash
{
    private sealed record CheckpointTick;
    private sealed record CheckpointExpired(long Id);
    private sealed record RestartDelayElapsed(int Attempt);
    private sealed record PlacementExpired(int Attempt);
    private sealed record RemoteStopExpired;
    private sealed record SavepointRead(CheckpointRecord Record, IReadOnlyList<TaskStateSnapshot> Tasks);
    private sealed record SavepointReadFailed(Exception Cause);
    private sealed record SavepointWritten(long Id, string Path, SavepointRequest Request);
    private sealed record SavepointWriteFailed(long Id, SavepointRequest Request, Exception Cause);

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobMasterSettings _settings;
    private readonly ExecutionPlan _plan;
    private readonly JobMetrics _metrics;
    private readonly TaskCompletionSource<JobResult> _completion;
    private readonly Func<IActorRef, IScheduler, TaskEnvironment> _environment;
    private readonly DeploymentPlanner _deployment;
    private readonly CheckpointCoordinator _coordinator;
    private readonly FailoverHandler _failover;
    private readonly Dictionary<TaskId, TaskMetrics> _taskMetrics = [];
    // Remote tasks of ended attempts that have not stopped yet: the job master ends only after them (so that two
    // attempts, or two job masters, never write at once).
    private readonly HashSet<IActorRef> _stopping = [];
    private readonly DateTime _started = DateTime.UtcNow;
    private ExecutionAttempt _attempt = new(0);
    private IActorRef? _store;
    private IReadOnlyList<TaskStateSnapshot>? _savepointState;
    private RestoreSource? _savepointSource;
    private long? _restoredFrom;
    private bool _restoredFinal;
    private DateTime _runningSince;
    private JobResult? _result;

    public JobMasterActor(JobMasterSettings settings, ExecutionPlan plan, JobMetrics metrics, TaskCompletionSource<JobResult> completion, Func<IActorRef, IScheduler, TaskEnvironment> environment)
    {
        _settings = settings;
        _plan = plan;
        _metrics = metrics;
        _completion = completion;
        _environment = environment;
        _deployment = new DeploymentPlanner(plan, settings.JobKey, settings.Checkpoints);
        _coordinator = new CheckpointCoordinator(settings.Checkpoints);
        _failover = new FailoverHandler(settings.Restart.Fresh());
    }

    public static Props Props(JobMasterSettings settings, ExecutionPlan plan, JobMetrics metrics, TaskCompletionSource<JobResult> completion, Func<IActorRef, IScheduler, TaskEnvironment> environment) =>
        Akka.Actor.Props.Create(() => new JobMasterActor(settings, plan, metrics, completion, environment));

    private bool Checkpointing => _settings.Checkpoints is not null;

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        Self.Tell(new TaskFailed(new TaskId(-1, -1), e));
        return Directive.Stop;
    });

    protected override void PreStart()
    {
        foreach (var (id, v) in _deployment.Tasks())
            _taskMetrics[id] = _metrics.Add(id, v.Parallelism > 1 ? $"{v.Name} ({id.Subtask + 1}/{v.Parallelism})" : v.Name);
        _metrics.State = JobState.Created;
        if (Checkpointing)
        {
            _store = Context.ActorOf(CheckpointStoreActor.Props(_settings.JobKey, _settings.Checkpoints!.Retained, _settings.Checkpoints.Timeout), "checkpoints");
            _store.Tell(new GetHistory());
        }
        else StartFromSavepointOrScratch();
    }

    // The first behaviour: restoring (waiting for the checkpoint history and the checkpoint to resume from).
    protected override void OnReceive(object message) => Restoring(message);

    // ---- behaviours ----

    private void Restoring(object message)
    {
        switch (message)
        {
            case CheckpointHistory h: OnHistory(h); break;
            case CheckpointLoaded l:
                _restoredFrom ??= l.Record.Id;
                _restoredFinal = l.Record.IsFinal;
                StartAttempt(l.Tasks, l.Record.Id, new RestoreSource(null, l.Record.Tasks, l.Tasks));
                break;
            default: Active(message); break;
        }
    }

    private void Deploying(object message)
    {
        switch (message)
        {
            case TaskPlaced p: OnPlaced(p); break;
            case PlacementExpired x:
                if (x.Attempt == _attempt.Number)
                    Failover(new TimeoutException($"{_attempt.ToPlace} of the job's tasks were not placed within {_settings.Placement!.Timeout.TotalSeconds:0.#} s"));
                break;
            case TaskReady r:
                if (_attempt.IsCurrent(Sender, r.Task) && _attempt.OnReady()) StartTasks();
                break;
            default: Active(message); break;
        }
    }

    private void Running(object message)
    {
        switch (message)
        {
            case TaskFinished f:
                if (f.Attempt == _attempt.Number) OnTaskFinished(f);
                break;
            case CheckpointTick: MaybeTrigger(); break;
            case TriggerSavepoint s:
                _coordinator.RequestSavepoint(new SavepointRequest(s.Directory, s.Stop, Sender, s.Drain));
                MaybeTrigger();
                break;
            case AcknowledgeCheckpoint a:
                if (_coordinator.Acknowledge(a, _attempt.Tasks.Count) is { } record) Persist(record);
                break;
            case DeclineCheckpoint d:
                if (_coordinator.Decline(d, Name(d.Task)) is { } declined) Failover(declined);
                break;
            case CheckpointExpired x:
                if (_coordinator.Expire(x.Id) is { } expired) Failover(expired);
                break;
            case CommitDone c:
                if (c.Attempt == _attempt.Number && _attempt.FinalNotified && _attempt.OnCommitted(c.Task)) Complete(JobState.Finished, null);
                break;
            default: Active(message); break;
        }
    }

    /// <summary>What Restoring, Deploying and Running handle alike: failures lead to a failover.</summary>
    private void Active(object message)
    {
        switch (message)
        {
            case TaskFailed f:
                if (IsTaskFailure(f)) Failover(f.Cause);
                break;
            case Terminated t: OnTaskTerminated(t); break;
            case TriggerSavepoint s:
                // Triggered once the attempt runs.
                _coordinator.RequestSavepoint(new SavepointRequest(s.Directory, s.Stop, Sender, s.Drain));
                break;
            default: Common(message); break;
        }
    }

    /// <summary>The failed attempt's tasks are stopping; a new attempt starts once they are gone and the strategy's delay passed.</summary>
    private void Restarting(object message)
    {
        switch (message)
        {
            case Terminated:
                if (_failover.OnTaskStopped()) Restart();
                break;
            case RestartDelayElapsed d:
                if (d.Attempt == _attempt.Number && _failover.OnDelayElapsed()) Restart();
                break;
            case TriggerSavepoint s:
                _coordinator.RequestSavepoint(new SavepointRequest(s.Directory, s.Stop, Sender, s.Drain));
                break;
            default: Common(message); break;
        }
    }

    /// <summary>What every phase but Done handles alike.</summary>
    private void Common(object message)
    {
        switch (message)
        {
            case CheckpointLoadFailed f: OnLoadFailed(f); break;
            case RecordPersisted p: OnRecordPersisted(p.Record); break;
            case CancelJob: Complete(JobState.Canceled, null); break;
            default: Always(message); break;
        }
    }

    /// <summary>The job has ended: only remote tasks stopping are awaited.</summary>
    private void Done(object message)
    {
        switch (message)
        {
            case Terminated t:
                if (_stopping.Remove(t.ActorRef) && _stopping.Count == 0) Context.Stop(Self);
                break;
            case RemoteStopExpired:
                _log.Warning("job {JobId}: {Count} remote tasks did not confirm their stop; ending anyway", _settings.JobKey, _stopping.Count);
                _stopping.Clear();
                Context.Stop(Self);
                break;
            case TriggerSavepoint: Sender.Tell(new SavepointFailed("the job is not running")); break;
            case RecordPersisted p: _metrics.AddCheckpoint(p.Record); break;
            case TaskFailed f: IsTaskFailure(f); break;
            default: Always(message); break;
        }
    }

    /// <summary>What every phase handles alike; messages of the protocol that the phase has no use for are dropped.</summary>
    private void Always(object message)
    {
        switch (message)
        {
            case TaskPlaced p: RejectPlaced(p); break;
            case TaskMetricsReport m:
                if (m.Attempt == _attempt.Number && _attempt.IsCurrent(Sender, m.Task) && _taskMetrics.TryGetValue(m.Task, out var tm)) m.ApplyTo(tm);
                break;
            case CheckpointHistory or CheckpointLoaded or CheckpointLoadFailed or TaskReady or TaskFinished or TaskFailed or Terminated or CheckpointTick
                or AcknowledgeCheckpoint or DeclineCheckpoint or CheckpointExpired or RecordPersisted
                or CommitDone or RestartDelayElapsed or PlacementExpired or RemoteStopExpired or CancelJob:
                break;
            default: Unhandled(message); break;
        }
    }

    /// <summary>While a savepoint is read or written off the actor thread, everything else waits, in order, as if the I/O were synchronous.</summary>
    private void ReadingSavepoint(object message)
    {
        switch (message)
        {
            case SavepointRead r:
                Stash.UnstashAll();
                _savepointState = r.Tasks;
                _savepointSource = new RestoreSource(Path.GetFullPath(_settings.FromSavepoint!), r.Record.Tasks, r.Tasks);
                _coordinator.RestoredFromSavepoint(r.Record.Id);
                _restoredFrom = r.Record.Id;
                Become(Restoring);
                try
                {
                    StartAttempt(r.Tasks, r.Record.Id, _savepointSource);
                }
                catch (Exception e)
                {
                    Complete(JobState.Failed, e);
                }
                break;
            case SavepointReadFailed f:
                Stash.UnstashAll();
                Become(Restoring);
                Complete(JobState.Failed, f.Cause);
                break;
            default: Stash.Stash(); break;
        }
    }

    private void WritingSavepoint(object message)
    {
        switch (message)
        {
            case SavepointWritten w:
                Stash.UnstashAll();
                Become(Running);
                _log.Info("job {JobId}: savepoint {CheckpointId} written to {Path}", _settings.JobKey, w.Id, w.Path);
                w.Request.ReplyTo?.Tell(new SavepointDone(w.Path));
                if (w.Request.Stop)
                {
                    _metrics.SavepointPath = w.Path;
                    Complete(JobState.Canceled, null, w.Path);
                }
                break;
            case SavepointWriteFailed f:
                Stash.UnstashAll();
                Become(Running);
                f.Request.ReplyTo?.Tell(new SavepointFailed($"savepoint {f.Id} could not be written to {f.Request.Directory}: {f.Cause.Message}"));
                break;
            default: Stash.Stash(); break;
        }
    }

    private bool IsTaskFailure(TaskFailed f)
    {
        // Vertex -1: a child failed (the supervisor strategy's report).
        if (f.Task.Vertex >= 0 && !_attempt.IsCurrent(Sender, f.Task)) return false;
        if (f.Task.Vertex >= 0) _log.Warning("job {JobId}: task {TaskId} ({TaskName}) failed: {Cause}", _settings.JobKey, f.Task.ToString(), Name(f.Task), f.Cause.Message);
        return true;
    }

    private string Name(TaskId t) => _taskMetrics.TryGetValue(t, out var m) ? m.Name : t.ToString();
}
