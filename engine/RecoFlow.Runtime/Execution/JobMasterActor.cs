using Akka.Actor;
using Akka.Event;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Checkpointing;

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
/// Runs a job (Flink: JobMaster with its CheckpointCoordinator): creates a task actor per subtask of every vertex,
/// wires their channels, starts them once all are deployed, and completes the job when every task finished.
/// With checkpoints it triggers barriers at the sources, collects the tasks' acknowledgements, persists each completed
/// checkpoint and then tells the tasks (so sinks commit). On any failure (a task throws, a channel loses a message, a
/// checkpoint times out or is declined) it stops the attempt, asks the restart strategy, and deploys a new attempt from
/// the last completed checkpoint; messages of the old attempt are discarded by attempt number.
/// </summary>
internal sealed class JobMasterActor : UntypedActor, IWithTimers
{
    private enum Phase { Restoring, Deploying, Running, Restarting, Done }

    private sealed record CheckpointTick;
    private sealed record CheckpointExpired(long Id);
    private sealed record RestartDelayElapsed(int Attempt);
    private sealed record PlacementExpired(int Attempt);
    private sealed record RemoteStopExpired;

    private sealed class PendingCheckpoint(long id, bool isSavepoint)
    {
        public long Id { get; } = id;
        public bool IsSavepoint { get; } = isSavepoint;
        public DateTime TriggeredAt { get; } = DateTime.UtcNow;
        public Dictionary<TaskId, AcknowledgeCheckpoint> Acks { get; } = [];
        public bool Persisting { get; set; }
        public TriggerSavepoint? Request { get; set; }
        public IActorRef? ReplyTo { get; set; }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobMasterSettings _settings;
    private readonly ExecutionPlan _plan;
    private readonly JobMetrics _metrics;
    private readonly TaskCompletionSource<JobResult> _completion;
    private readonly Func<IActorRef, IScheduler, TaskEnvironment> _environment;
    private readonly Dictionary<TaskId, IActorRef> _tasks = [];
    // Tasks of this attempt hosted elsewhere (ITaskPlacement), and those still to report in while deploying.
    private readonly HashSet<TaskId> _remote = [];
    private int _toPlace;
    // What the attempt restores, kept while its remote tasks are being placed.
    private Dictionary<TaskId, TaskRestore>? _restore;
    // Remote tasks of ended attempts that have not stopped yet: the job master ends only after them (so that two
    // attempts, or two job masters, never write at once).
    private readonly HashSet<IActorRef> _stopping = [];
    private readonly Dictionary<TaskId, TaskMetrics> _taskMetrics = [];
    private readonly Dictionary<TaskId, TaskFinished> _finished = [];
    private readonly HashSet<TaskId> _committed = [];
    private readonly DateTime _started = DateTime.UtcNow;
    private readonly RestartStrategy _restart;
    private IActorRef? _store;
    private Phase _phase = Phase.Restoring;
    private int _attempt;
    private int _ready;
    private int _alive;
    private bool _restartDelayElapsed;
    private int _restarts;
    private long _lastId;
    private CheckpointRecord? _lastCompleted;
    private DateTime _lastCompletedAt = DateTime.MinValue;
    private PendingCheckpoint? _pending;
    private TriggerSavepoint? _requestedSavepoint;
    private IActorRef? _savepointReplyTo;
    private IReadOnlyList<TaskStateSnapshot>? _savepointState;
    private long? _restoredFrom;
    private bool _finalNotified;
    private List<(TaskStateRef Ref, byte[] Bytes)> _finalStates = [];
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
        _restart = settings.Restart.Fresh();
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
        foreach (var v in _plan.Vertices)
            for (var i = 0; i < v.Parallelism; i++)
            {
                var id = new TaskId(v.Id, i);
                _taskMetrics[id] = _metrics.Add(id, v.Parallelism > 1 ? $"{v.Name} ({i + 1}/{v.Parallelism})" : v.Name);
            }
        _metrics.State = JobState.Created;
        if (Checkpointing)
        {
            _store = Context.ActorOf(CheckpointStoreActor.Props(_settings.JobKey, _settings.Checkpoints!.Retained, _settings.Checkpoints.Timeout), "checkpoints");
            _store.Tell(new GetHistory());
        }
        else StartFromSavepointOrScratch();
    }

    private void StartFromSavepointOrScratch()
    {
        if (_settings.FromSavepoint is { } path)
        {
            try
            {
                var (record, tasks) = Savepoints.Read(path, SnapshotEncryption.For(Context.System));
                _savepointState = tasks;
                _lastId = Math.Max(_lastId, record.Id);
                _restoredFrom = record.Id;
                StartAttempt(tasks, record.Id);
            }
            catch (Exception e)
            {
                Complete(JobState.Failed, e);
            }
            return;
        }
        StartAttempt(null, 0);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CheckpointHistory h:
                OnHistory(h);
                break;
            case CheckpointLoaded l:
                if (_phase != Phase.Restoring) return;
                _restoredFrom ??= l.Record.Id;
                _restoredFinal = l.Record.IsFinal;
                StartAttempt(l.Tasks, l.Record.Id);
                break;
            case CheckpointLoadFailed f:
                OnLoadFailed(f);
                break;
            case TaskPlaced p:
                OnPlaced(p);
                break;
            case PlacementExpired x:
                if (x.Attempt != _attempt || _phase != Phase.Deploying) return;
                Failover(new TimeoutException($"{_toPlace} of the job's tasks were not placed within {_settings.Placement!.Timeout.TotalSeconds:0.#} s"));
                break;
            case TaskMetricsReport m:
                if (m.Attempt == _attempt && IsCurrent(Sender, m.Task) && _taskMetrics.TryGetValue(m.Task, out var tm)) m.ApplyTo(tm);
                break;
            case RemoteStopExpired:
                _log.Warning("job {JobId}: {Count} remote tasks did not confirm their stop; ending anyway", _settings.JobKey, _stopping.Count);
                _stopping.Clear();
                Context.Stop(Self);
                break;
            case TaskReady r:
                if (!IsCurrent(Sender, r.Task) || _phase != Phase.Deploying) return;
                if (++_ready == _tasks.Count) StartTasks();
                break;
            case TaskFinished f:
                if (f.Attempt != _attempt || _phase != Phase.Running) return;
                OnTaskFinished(f);
                break;
            case TaskFailed f:
                if (f.Task.Vertex >= 0 && !IsCurrent(Sender, f.Task)) return;
                if (f.Task.Vertex >= 0) _log.Warning("job {JobId}: task {TaskId} ({TaskName}) failed: {Cause}", _settings.JobKey, f.Task.ToString(), Name(f.Task), f.Cause.Message);
                Failover(f.Cause);
                break;
            case Terminated t:
                OnTerminated(t);
                break;
            case CheckpointTick:
                MaybeTrigger();
                break;
            case AcknowledgeCheckpoint a:
                OnAck(a);
                break;
            case DeclineCheckpoint d:
                if (d.Attempt != _attempt || _pending?.Id != d.Id) return;
                Failover(new InvalidOperationException($"checkpoint {d.Id} was declined by task {Name(d.Task)}: {d.Cause.Message}", d.Cause));
                break;
            case CheckpointExpired x:
                if (_pending?.Id != x.Id || _phase != Phase.Running) return;
                Failover(new TimeoutException($"checkpoint {x.Id} expired after {_settings.Checkpoints!.Timeout.TotalSeconds:0.#} s"));
                break;
            case RecordPersisted p:
                OnRecordPersisted(p.Record);
                break;
            case TaskStatesSaved s:
                OnFinalStatesSaved(s.CheckpointId);
                break;
            case TaskStatesSaveFailed s:
                Failover(s.Cause);
                break;
            case CommitDone c:
                if (c.Attempt != _attempt || !_finalNotified) return;
                _committed.Add(c.Task);
                if (_committed.Count == _tasks.Count) Complete(JobState.Finished, null);
                break;
            case RestartDelayElapsed d:
                if (d.Attempt != _attempt) return;
                _restartDelayElapsed = true;
                MaybeRestart();
                break;
            case TriggerSavepoint s:
                if (_phase is Phase.Done) { Sender.Tell(new SavepointFailed("the job is not running")); return; }
                _requestedSavepoint = s;
                _savepointReplyTo = Sender;
                MaybeTrigger();
                break;
            case CancelJob:
                Complete(JobState.Canceled, null);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private bool IsCurrent(IActorRef sender, TaskId task) => _tasks.TryGetValue(task, out var t) && t.Equals(sender);

    private string Name(TaskId t) => _taskMetrics.TryGetValue(t, out var m) ? m.Name : t.ToString();

    // ---- restore ----

    private void OnHistory(CheckpointHistory h)
    {
        foreach (var r in h.Records)
        {
            _lastId = Math.Max(_lastId, r.Id);
            _metrics.AddCheckpoint(r);
        }
        _lastCompleted = h.Records.LastOrDefault(r => r.Status == CheckpointStatus.Completed);
        if (_lastCompleted is not null)
        {
            _log.Info("job {JobId}: resuming from checkpoint {CheckpointId}", _settings.JobKey, _lastCompleted.Id);
            _store!.Tell(new LoadCheckpoint(_lastCompleted));
        }
        else StartFromSavepointOrScratch();
    }

    private void OnLoadFailed(CheckpointLoadFailed f)
    {
        _log.Warning("job {JobId}: checkpoint {CheckpointId} could not be loaded: {Cause}", _settings.JobKey, f.Record.Id, f.Cause.Message);
        var previous = _metrics.Checkpoints.LastOrDefault(r => r.Status == CheckpointStatus.Completed && r.Id < f.Record.Id);
        if (previous is not null && _metrics.Checkpoints.Count(r => r.Status == CheckpointStatus.Completed && r.Id >= previous.Id) <= _settings.Checkpoints!.Retained)
        {
            _log.Warning("job {JobId}: falling back to checkpoint {CheckpointId}", _settings.JobKey, previous.Id);
            _lastCompleted = previous;
            _store!.Tell(new LoadCheckpoint(previous));
            return;
        }
        Complete(JobState.Failed, f.Cause);
    }

    private void StartAttempt(IReadOnlyList<TaskStateSnapshot>? snapshots, long checkpointId)
    {
        Dictionary<TaskId, TaskRestore>? restore = null;
        if (snapshots is not null)
        {
            try
            {
                restore = RestorePlanner.Plan(_plan, snapshots, checkpointId);
            }
            catch (Exception e)
            {
                Complete(JobState.Failed, e);
                return;
            }
        }
        _attempt++;
        _phase = Phase.Deploying;
        _ready = 0;
        _finished.Clear();
        _committed.Clear();
        _finalNotified = false;
        _tasks.Clear();
        _remote.Clear();
        _toPlace = 0;
        _restore = restore;
        var placement = _settings.Placement;
        foreach (var v in _plan.Vertices)
            for (var i = 0; i < v.Parallelism; i++)
            {
                var id = new TaskId(v.Id, i);
                if (placement is not null && placement.IsRemote(v))
                {
                    _remote.Add(id);
                    _toPlace++;
                    placement.Place(new TaskPlacementRequest(_settings.JobId, _attempt, v.Id, i, v.Uid, v.Parallelism, _plan.Graph.MaxParallelism,
                        _settings.StateDirectory, Checkpointing, Self));
                    continue;
                }
                var task = Context.ActorOf(TaskActor.Props(id, v, Self, _taskMetrics[id], _environment), $"task-{v.Id}-{i}-{_attempt}");
                Context.Watch(task);
                _tasks[id] = task;
            }
        if (_toPlace > 0)
        {
            Timers.StartSingleTimer("placement", new PlacementExpired(_attempt), placement!.Timeout);
            return;
        }
        DeployAll();
    }

    private void OnPlaced(TaskPlaced p)
    {
        if (p.Attempt != _attempt || _phase != Phase.Deploying || !_remote.Contains(p.Task) || _tasks.ContainsKey(p.Task))
        {
            // A task of an old attempt, or one placed twice: it must not run.
            if (p.Ref is not null && !(_tasks.TryGetValue(p.Task, out var current) && current.Equals(p.Ref))) p.Ref.Tell(PoisonPill.Instance);
            return;
        }
        if (p.Ref is null)
        {
            Failover(new InvalidOperationException($"task {Name(p.Task)} could not start: {p.Error}"));
            return;
        }
        Context.Watch(p.Ref);
        _tasks[p.Task] = p.Ref;
        if (_taskMetrics.TryGetValue(p.Task, out var metrics)) metrics.Location = p.Ref.Path.Address.HasGlobalScope ? p.Ref.Path.Address.ToString() : null;
        if (--_toPlace == 0)
        {
            Timers.Cancel("placement");
            DeployAll();
        }
    }

    /// <summary>Every task of the attempt is there (created or placed): wire and deploy them, restoring <see cref="_restore"/>.</summary>
    private void DeployAll()
    {
        var restore = _restore;
        _restore = null;
        foreach (var v in _plan.Vertices)
            for (var i = 0; i < v.Parallelism; i++)
            {
                var id = new TaskId(v.Id, i);
                var checkpointing = Checkpointing ? new TaskCheckpointing(CheckpointStoreActor.TaskPersistenceId(_settings.JobKey, v.Uid, i)) : null;
                _tasks[id].Tell(Deployment(v, i, restore?.GetValueOrDefault(id), checkpointing));
            }
    }

    /// <summary>
    /// Channel layout: a writer of subtask i on edge e has one channel per downstream subtask j; the downstream task
    /// numbers its input channels over its input edges in order, then over upstream subtasks.
    /// </summary>
    private DeployTask Deployment(JobVertex v, int subtask, TaskRestore? restore, TaskCheckpointing? checkpointing)
    {
        var writers = new List<IReadOnlyList<ChannelTarget>>();
        foreach (var e in v.Outputs)
        {
            var offset = InputChannelOffset(e);
            writers.Add(Enumerable.Range(0, e.To.Parallelism).Select(j => new ChannelTarget(_tasks[new TaskId(e.To.Id, j)], offset + subtask)).ToList());
        }
        var inputs = new List<ChannelSource>();
        foreach (var e in v.Inputs)
            for (var i = 0; i < e.From.Parallelism; i++)
                inputs.Add(new ChannelSource(_tasks[new TaskId(e.From.Id, i)], e.WriterIndex, subtask, e.Edge.InputIndex));
        return new DeployTask(_attempt, writers, inputs, restore, checkpointing);
    }

    private static int InputChannelOffset(VertexEdge edge)
    {
        var offset = 0;
        foreach (var e in edge.To.Inputs)
        {
            if (e == edge) return offset;
            offset += e.From.Parallelism;
        }
        throw new InvalidOperationException("edge is not an input of its target");
    }

    private void StartTasks()
    {
        _phase = Phase.Running;
        _runningSince = DateTime.UtcNow;
        _metrics.State = JobState.Running;
        foreach (var t in _tasks.Values) t.Tell(new StartTask());
        if (Checkpointing)
            Timers.StartPeriodicTimer("checkpoint", new CheckpointTick(), _settings.Checkpoints!.Interval);
        if (_requestedSavepoint is not null) MaybeTrigger();
    }

    // ---- checkpoints ----

    private void MaybeTrigger()
    {
        if (_phase != Phase.Running || _pending is not null || _finished.Count > 0) return;
        _restart.OnRunning(_runningSince);
        if (_requestedSavepoint is { } request)
        {
            _requestedSavepoint = null;
            Trigger(isSavepoint: true).Request = request;
            _pending!.ReplyTo = _savepointReplyTo;
            return;
        }
        if (!Checkpointing || DateTime.UtcNow - _lastCompletedAt < _settings.Checkpoints!.MinPause) return;
        Trigger(isSavepoint: false);
    }

    private PendingCheckpoint Trigger(bool isSavepoint)
    {
        var id = ++_lastId;
        _pending = new PendingCheckpoint(id, isSavepoint);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var v in _plan.Vertices)
            if (v.IsSource)
                for (var i = 0; i < v.Parallelism; i++)
                    _tasks[new TaskId(v.Id, i)].Tell(new TriggerCheckpoint(id, now, isSavepoint, _attempt));
        var timeout = _settings.Checkpoints?.Timeout ?? TimeSpan.FromMinutes(2);
        Timers.StartSingleTimer("checkpoint-timeout", new CheckpointExpired(id), timeout);
        return _pending;
    }

    private void OnAck(AcknowledgeCheckpoint a)
    {
        if (a.Attempt != _attempt || _pending is null || _pending.Id != a.Id || _pending.Persisting) return;
        _pending.Acks[a.Task] = a;
        if (_pending.Acks.Count < _tasks.Count) return;
        _pending.Persisting = true;
        var acks = _pending.Acks.Values.ToList();
        var record = new CheckpointRecord
        {
            Id = _pending.Id,
            Status = CheckpointStatus.Completed,
            TriggeredAt = _pending.TriggeredAt,
            CompletedAt = DateTime.UtcNow,
            SizeBytes = acks.Sum(x => x.State.SizeBytes),
            AlignmentMs = acks.Max(x => x.AlignmentMs),
            SyncMs = acks.Max(x => x.SyncMs),
            Tasks = acks.Select(x => x.State).ToList(),
            Attempt = _attempt,
        };
        Persist(record);
    }

    private void Persist(CheckpointRecord record)
    {
        if (_store is not null) _store.Tell(new PersistRecord(record));
        else Self.Tell(new RecordPersisted(record));
    }

    private void OnRecordPersisted(CheckpointRecord record)
    {
        _metrics.AddCheckpoint(record);
        if (record.Status != CheckpointStatus.Completed || _phase == Phase.Done) return;
        _lastCompleted = record;
        _lastCompletedAt = DateTime.UtcNow;
        _metrics.LastCheckpoint = record;
        _log.Info("job {JobId}: checkpoint {CheckpointId} completed in {DurationMs} ms ({SizeBytes} bytes)", _settings.JobKey, record.Id, Math.Round(record.DurationMs), record.SizeBytes);
        if (record.IsFinal)
        {
            _finalNotified = true;
            foreach (var t in _tasks.Values) t.Tell(new NotifyCheckpointComplete(long.MaxValue, _attempt, Final: true));
            return;
        }
        if (_pending?.Id != record.Id || _phase != Phase.Running) return;
        var pending = _pending;
        _pending = null;
        Timers.Cancel("checkpoint-timeout");
        foreach (var t in _tasks.Values) t.Tell(new NotifyCheckpointComplete(record.Id, _attempt));
        if (pending.Request is { } request)
        {
            string path;
            try
            {
                path = Savepoints.Write(request.Directory, record, pending.Acks.Values.Select(a => (a.State, a.SavepointBytes!)).ToList());
            }
            catch (Exception e)
            {
                pending.ReplyTo?.Tell(new SavepointFailed($"savepoint {record.Id} could not be written to {request.Directory}: {e.Message}"));
                return;
            }
            _log.Info("job {JobId}: savepoint {CheckpointId} written to {Path}", _settings.JobKey, record.Id, path);
            pending.ReplyTo?.Tell(new SavepointDone(path));
            if (request.Stop)
            {
                _metrics.SavepointPath = path;
                Complete(JobState.Canceled, null, path);
            }
        }
    }

    private void AbortPending(string cause)
    {
        if (_pending is null) return;
        var p = _pending;
        _pending = null;
        Timers.Cancel("checkpoint-timeout");
        if (p.Request is not null) { _requestedSavepoint = p.Request; _savepointReplyTo = p.ReplyTo; }
        if (p.Persisting) return;
        var failed = new CheckpointRecord { Id = p.Id, Status = CheckpointStatus.Failed, TriggeredAt = p.TriggeredAt, CompletedAt = DateTime.UtcNow, FailureCause = cause, Attempt = _attempt };
        Persist(failed);
    }

    // ---- finishing ----

    private void OnTaskFinished(TaskFinished f)
    {
        _finished[f.Task] = f;
        if (_pending is { Persisting: false }) AbortPending($"task {Name(f.Task)} finished before the checkpoint completed");
        if (_requestedSavepoint is not null)
        {
            _savepointReplyTo?.Tell(new SavepointFailed("the job is finishing: its input ended"));
            _requestedSavepoint = null;
        }
        if (_finished.Count < _tasks.Count) return;
        Timers.Cancel("checkpoint");
        if (!Checkpointing)
        {
            Complete(JobState.Finished, null);
            return;
        }
        // The final checkpoint: the state of every task after its input ended.
        var id = Math.Max(_lastId + 1, _finished.Values.Max(x => x.FinalCheckpointId));
        _lastId = id;
        _pending = new PendingCheckpoint(id, false) { Persisting = true };
        _finalStates = _finished.Select(kv =>
        {
            var v = _plan.Vertices.First(x => x.Id == kv.Key.Vertex);
            var state = kv.Value.FinalState!;
            return (new TaskStateRef { VertexUid = v.Uid, Subtask = kv.Key.Subtask, Parallelism = v.Parallelism, PersistenceId = CheckpointStoreActor.TaskPersistenceId(_settings.JobKey, v.Uid, kv.Key.Subtask), SizeBytes = state.Length }, state);
        }).ToList();
        _store!.Tell(new SaveTaskStates(id, _finalStates.Select(f => (f.Ref.PersistenceId, f.Bytes)).ToList()));
    }

    private void OnFinalStatesSaved(long id)
    {
        if (_pending?.Id != id) return;
        var record = new CheckpointRecord
        {
            Id = id,
            Status = CheckpointStatus.Completed,
            TriggeredAt = _pending.TriggeredAt,
            CompletedAt = DateTime.UtcNow,
            IsFinal = true,
            SizeBytes = _finalStates.Sum(f => f.Ref.SizeBytes),
            Attempt = _attempt,
            Tasks = _finalStates.Select(f => f.Ref).ToList(),
        };
        _pending = null;
        Persist(record);
    }

    // ---- failures ----

    private void Failover(Exception cause)
    {
        if (_phase is Phase.Done or Phase.Restarting) return;
        _log.Warning("job {JobId}: attempt {Attempt} failed: {Cause}", _settings.JobKey, _attempt, cause.Message);
        _metrics.AddFailure(cause);
        var delay = _restart.OnFailure(DateTime.UtcNow);
        if (delay is null)
        {
            var message = _restarts == 0 ? cause.Message : $"{cause.Message} (gave up after {_restarts} restarts: {_restart.Describe()})";
            Complete(JobState.Failed, _restarts == 0 ? cause : new InvalidOperationException(message, cause));
            return;
        }
        AbortPending($"the job failed: {cause.Message}");
        Timers.Cancel("checkpoint");
        _phase = Phase.Restarting;
        _metrics.State = JobState.Restarting;
        _restarts++;
        _metrics.Restarts = _restarts;
        _restartDelayElapsed = false;
        _alive = 0;
        foreach (var (id, t) in _tasks)
        {
            _alive++;
            StopTask(id, t);
        }
        _tasks.Clear();
        _toPlace = 0;
        Timers.Cancel("placement");
        Timers.StartSingleTimer("restart", new RestartDelayElapsed(_attempt), delay.Value);
    }

    private void StopTask(TaskId id, IActorRef task)
    {
        if (_remote.Contains(id)) task.Tell(PoisonPill.Instance);
        else Context.Stop(task);
    }

    private void OnTerminated(Terminated t)
    {
        if (_stopping.Remove(t.ActorRef))
        {
            if (_phase == Phase.Done && _stopping.Count == 0) Context.Stop(Self);
            return;
        }
        if (_phase == Phase.Restarting)
        {
            _alive--;
            MaybeRestart();
            return;
        }
        foreach (var (id, task) in _tasks)
            if (task.Equals(t.ActorRef))
            {
                // Gone already: the failover must not wait for its Terminated again.
                _tasks.Remove(id);
                var where = _remote.Contains(id) && t.AddressTerminated ? $" (its node {task.Path.Address} left the cluster)" : "";
                Failover(new InvalidOperationException($"task {Name(id)} stopped unexpectedly{where}"));
                return;
            }
    }

    /// <summary>Restarts once the old attempt's tasks are all gone (their sinks closed) and the strategy's delay passed.</summary>
    private void MaybeRestart()
    {
        if (_phase != Phase.Restarting || _alive > 0 || !_restartDelayElapsed) return;
        _phase = Phase.Restoring;
        if (_lastCompleted is not null && _store is not null) _store.Tell(new LoadCheckpoint(_lastCompleted));
        else if (_savepointState is not null) StartAttempt(_savepointState, _restoredFrom ?? 0);
        else StartAttempt(null, 0);
    }

    private void Complete(JobState state, Exception? failure, string? savepoint = null)
    {
        if (_phase == Phase.Done) return;
        _phase = Phase.Done;
        _metrics.State = state;
        _result = new JobResult(_settings.JobId, state, failure, DateTime.UtcNow - _started)
        {
            Restarts = _restarts,
            RestoredFrom = _restoredFrom,
            AlreadyFinished = _restoredFinal && state == JobState.Finished && _restarts == 0,
            LastCheckpoint = _lastCompleted?.Id,
            SavepointPath = savepoint,
        };
        if (failure is not null) _log.Warning("job {JobId} failed: {Cause}", _settings.JobKey, failure.Message);
        // Local tasks stop with the job master (its children); remote ones are told to, and awaited.
        foreach (var id in _remote)
            if (_tasks.TryGetValue(id, out var task))
            {
                _stopping.Add(task);
                task.Tell(PoisonPill.Instance);
            }
        if (_stopping.Count == 0) Context.Stop(Self);
        else Timers.StartSingleTimer("remote-stop", new RemoteStopExpired(), TimeSpan.FromSeconds(30));
    }

    /// <summary>Children (tasks) have stopped and disposed their operators by now, so sinks are closed when the result is seen.</summary>
    protected override void PostStop() =>
        _completion.TrySetResult(_result ?? new JobResult(_settings.JobId, JobState.Canceled, null, DateTime.UtcNow - _started) { Restarts = _restarts });
}
