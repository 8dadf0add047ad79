using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// Runs one task: a chain of operators for one subtask (Flink: StreamTask). All operator calls happen inside this actor,
/// so operators are never called concurrently. Input arrives as channel messages; output leaves through writers with
/// credit-based flow control. While any writer is blocked, the task takes no more input (it queues it and grants no
/// credit), so backpressure travels upstream to the sources instead of filling memory.
/// </summary>
internal sealed class TaskActor : UntypedActor, IWithTimers
{
    private sealed class DrainPending
    {
        public static readonly DrainPending Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly TaskId _id;
    private readonly JobVertex _vertex;
    private readonly IActorRef _master;
    private readonly TaskMetrics _metrics;
    private readonly Func<IActorRef, IScheduler, TaskEnvironment> _environment;
    private readonly bool _remote;
    private readonly Queue<ChannelMessage> _pending = new();
    private TaskChain? _chain;
    private TaskEnvironment? _env;
    private ChannelSource[] _inputs = [];
    private long[] _watermarks = [];
    private bool[] _idle = [];
    private bool[] _ended = [];
    private long[] _expectedSeq = [];
    private int _endedCount;
    private int _attempt;
    private long _watermark = Api.Time.Watermark.NoTimestamp;
    private bool _inputIdle;
    private bool _pollAfterCredit;
    /// <summary>Re-polls an idle source. A .NET timer, not Akka's scheduler: that one ticks every 10 ms, which would
    /// turn the 2 ms idle-poll interval into up to 10 ms of latency per idle poll.</summary>
    private Timer? _idlePoll;
    private bool _finished;
    private bool _failed;
    private long _blockedSince;

    // Checkpointing (Flink's aligned barriers): while a barrier is being aligned, channels that delivered it are
    // blocked and their messages wait in _aligned, so no record after the barrier reaches the state before the snapshot.
    private TaskCheckpointing? _checkpointing;
    private IActorRef _snapshotStore = ActorRefs.Nobody;
    private long _lastCheckpointId;
    private long _aligningId = -1;
    private bool _aligningSavepoint;
    private bool[] _barrierSeen = [];
    private int _barriersSeen;
    private long _alignStart;
    private readonly Queue<ChannelMessage> _aligned = new();
    private readonly Dictionary<long, (TaskStateRef Ref, double AlignmentMs, double SyncMs, byte[]? Savepoint)> _saving = [];

    /// <param name="environment">Builds the task's surroundings from its own actor (processing-time timers are messages to it) and the scheduler.</param>
    /// <param name="remote">The task runs away from its job master: it reports its metrics every second and stops when the master is gone.</param>
    public TaskActor(TaskId id, JobVertex vertex, IActorRef master, TaskMetrics metrics, Func<IActorRef, IScheduler, TaskEnvironment> environment, bool remote)
    {
        _remote = remote;
        _id = id;
        _vertex = vertex;
        _master = master;
        _metrics = metrics;
        _environment = environment;
    }

    public static Props Props(TaskId id, JobVertex vertex, IActorRef master, TaskMetrics metrics, Func<IActorRef, IScheduler, TaskEnvironment> environment, bool remote = false) =>
        Akka.Actor.Props.Create(() => new TaskActor(id, vertex, master, metrics, environment, remote));

    private bool Blocked
    {
        get
        {
            foreach (var w in _chain!.Writers) if (w.IsBlocked) return true;
            return false;
        }
    }

    protected override void PreStart()
    {
        _env = _environment(Self, Context.System.Scheduler);
        _chain = new TaskChain(_vertex, _id.Subtask, _env, OnSourceIdle);
        if (_remote)
        {
            Context.Watch(_master);
            Timers.StartPeriodicTimer("metrics", ReportMetrics.Instance, TimeSpan.FromSeconds(1));
        }
    }

    private sealed class ReportMetrics
    {
        public static readonly ReportMetrics Instance = new();
    }

    protected override void OnReceive(object message)
    {
        if (_failed) return;
        try
        {
            switch (message)
            {
                case ChannelMessage m:
                    if (m.Attempt != _attempt) return;
                    CheckSequence(m);
                    if (_pending.Count > 0 || Blocked) { _pending.Enqueue(m); return; }
                    Step(m);
                    break;
                case TriggerCheckpoint t:
                    if (t.Attempt != _attempt || _finished) return;
                    _aligningSavepoint = t.IsSavepoint;
                    _alignStart = Stopwatch.GetTimestamp();
                    PerformCheckpoint(t.Id);
                    AfterStep();
                    break;
                case SaveSnapshotSuccess ok:
                    if (_saving.Remove(ok.Metadata.SequenceNr, out var saved))
                        _master.Tell(new AcknowledgeCheckpoint(_id, _attempt, ok.Metadata.SequenceNr, saved.Ref, saved.AlignmentMs, saved.SyncMs, saved.Savepoint));
                    break;
                case SaveSnapshotFailure bad:
                    if (_saving.Remove(bad.Metadata.SequenceNr))
                        _master.Tell(new DeclineCheckpoint(_id, _attempt, bad.Metadata.SequenceNr, bad.Cause));
                    break;
                case NotifyCheckpointComplete n:
                    if (n.Attempt != _attempt) return;
                    NotifyComplete(n.Id);
                    if (n.Final) _master.Tell(new CommitDone(_id, _attempt));
                    break;
                case CreditMessage c:
                    if (c.Attempt != _attempt) return;
                    _chain!.Writers[c.Writer].AddCredit(c.Channel, c.Credits);
                    Unblocked();
                    break;
                case PollSource:
                    if (_finished) return;
                    if (Blocked) { _pollAfterCredit = true; return; }
                    Poll();
                    break;
                case ProcessingTimerFired t:
                    if (_finished) return;
                    var start = Stopwatch.GetTimestamp();
                    t.Callback(Math.Max(t.Due, _env!.Clock.NowMillis));
                    _metrics.BusyTicks += Stopwatch.GetTimestamp() - start;
                    AfterStep();
                    break;
                case DeployTask d:
                    Deploy(d);
                    break;
                case DrainPending:
                    Unblocked();
                    break;
                case ReportMetrics:
                    _chain!.UpdateMetrics(_metrics);
                    _master.Tell(TaskMetricsReport.Of(_metrics, _attempt));
                    break;
                case Terminated t when t.ActorRef.Equals(_master):
                    // The job master is gone (its node died, or the job ended): nothing of this attempt can complete.
                    Context.Stop(Self);
                    break;
                case StartTask:
                    _metrics.State = TaskState.Running;
                    _metrics.StartedAtTicks = Stopwatch.GetTimestamp();
                    if (_chain!.Source is not null) Self.Tell(PollSource.Instance);
                    else if (_inputs.Length == 0) Finish();
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
        catch (Exception e)
        {
            _failed = true;
            _metrics.State = TaskState.Failed;
            _master.Tell(new TaskFailed(_id, e));
        }
    }

    private void Deploy(DeployTask d)
    {
        _metrics.State = TaskState.Deploying;
        _attempt = d.Attempt;
        for (var i = 0; i < d.WriterTargets.Count; i++) _chain!.Writers[i].Connect(d.WriterTargets[i], Self, d.Attempt);
        _inputs = [.. d.Inputs];
        var n = _inputs.Length;
        _watermarks = Enumerable.Repeat(Api.Time.Watermark.NoTimestamp, n).ToArray();
        _idle = new bool[n];
        _ended = new bool[n];
        _expectedSeq = Enumerable.Repeat(1L, n).ToArray();
        _barrierSeen = new bool[n];
        _checkpointing = d.Checkpointing;
        if (_checkpointing is not null) _snapshotStore = Persistence.Instance.Apply(Context.System).SnapshotStoreFor(null);
        if (d.Restore is { } restore)
        {
            _lastCheckpointId = restore.CheckpointId;
            foreach (var ctx in _chain!.Contexts)
                if (restore.Operators.TryGetValue(ctx.OperatorId, out var snapshot)) ctx.Restore(restore.CheckpointId, snapshot);
        }
        for (var i = _chain!.Operators.Count - 1; i >= 0; i--)
        {
            _chain.Operators[i].InitializeState(_chain.Contexts[i]);
            _chain.Operators[i].Open();
        }
        if (_chain.Source is not null)
        {
            _chain.AddSplits(d.Restore?.Splits ?? _chain.InitialSplits());
            if (d.Restore?.SplitWatermarks is { } watermarks) _chain.Source.RestoreWatermarks(watermarks);
        }
        _master.Tell(new TaskReady(_id));
    }

    private void Step(ChannelMessage m)
    {
        var start = Stopwatch.GetTimestamp();
        Handle(m);
        _metrics.BusyTicks += Stopwatch.GetTimestamp() - start;
        AfterStep();
    }

    private void CheckSequence(ChannelMessage m)
    {
        var ch = m.Channel;
        if (m.Seq != _expectedSeq[ch])
            throw new InvalidOperationException($"task {_id} ({_vertex.Name}): message {m.Seq} on input channel {ch} where {_expectedSeq[ch]} was expected (lost or reordered channel message)");
        _expectedSeq[ch]++;
    }

    private void Handle(ChannelMessage m)
    {
        var ch = m.Channel;
        if (_aligningId >= 0 && _barrierSeen[ch])
        {
            // This channel is past the barrier being aligned: its messages wait until the snapshot is taken.
            _aligned.Enqueue(m);
            return;
        }
        var source = _inputs[ch];
        switch (m)
        {
            case BarrierMessage b:
                OnBarrier(ch, b);
                break;
            case IDataBatch batch:
                _metrics.RecordsIn += batch.Count;
                _chain!.Input!.Process(batch, source.InputIndex);
                source.Task.Tell(new CreditMessage(source.Writer, source.Channel, 1, _attempt), Self);
                break;
            case WatermarkMessage w:
                if (w.Watermark > _watermarks[ch]) _watermarks[ch] = w.Watermark;
                _idle[ch] = false;
                AdvanceWatermark();
                break;
            case IdleMessage idle:
                _idle[ch] = idle.Idle;
                AdvanceWatermark();
                break;
            case EndOfPartitionMessage:
                if (!_ended[ch]) { _ended[ch] = true; _endedCount++; }
                AdvanceWatermark();
                if (_aligningId >= 0) CompleteAlignmentIfReady();
                if (_endedCount == _inputs.Length && _aligningId < 0) Finish();
                break;
        }
    }

    private void OnBarrier(int ch, BarrierMessage b)
    {
        if (b.CheckpointId <= _lastCheckpointId) return; // a barrier of a checkpoint this task already took (or abandoned)
        if (_aligningId >= 0 && b.CheckpointId > _aligningId)
        {
            // A newer barrier while the older is not aligned: the older checkpoint was abandoned upstream; release and start over.
            ReleaseAligned();
        }
        if (_aligningId < 0)
        {
            _aligningId = b.CheckpointId;
            _aligningSavepoint = b.IsSavepoint;
            _alignStart = Stopwatch.GetTimestamp();
            Array.Clear(_barrierSeen);
            _barriersSeen = 0;
        }
        if (!_barrierSeen[ch]) { _barrierSeen[ch] = true; _barriersSeen++; }
        CompleteAlignmentIfReady();
    }

    /// <summary>When every channel that has not ended delivered the barrier: snapshot, forward the barrier, release the blocked channels.</summary>
    private void CompleteAlignmentIfReady()
    {
        for (var i = 0; i < _inputs.Length; i++)
            if (!_barrierSeen[i] && !_ended[i]) return;
        var id = _aligningId;
        _aligningId = -1;
        PerformCheckpoint(id);
        ReleaseAligned();
    }

    /// <summary>Puts the messages held back during alignment in front of the pending input, in arrival order.</summary>
    private void ReleaseAligned()
    {
        _aligningId = -1;
        Array.Clear(_barrierSeen);
        _barriersSeen = 0;
        if (_aligned.Count == 0)
        {
            if (_endedCount == _inputs.Length && _inputs.Length > 0) Finish();
            return;
        }
        var rest = _pending.ToArray();
        _pending.Clear();
        while (_aligned.Count > 0) _pending.Enqueue(_aligned.Dequeue());
        foreach (var m in rest) _pending.Enqueue(m);
        Self.Tell(DrainPending.Instance);
    }

    /// <summary>
    /// Takes this task's part of checkpoint <paramref name="id"/>: forwards the barrier first (so downstream can align
    /// while this task writes), copies the state synchronously into bytes, and writes them to the store asynchronously.
    /// </summary>
    private void PerformCheckpoint(long id)
    {
        var alignMs = Stopwatch.GetElapsedTime(_alignStart).TotalMilliseconds;
        _lastCheckpointId = id;
        var savepoint = _aligningSavepoint;
        foreach (var w in _chain!.Writers)
            w.Broadcast(ch => new BarrierMessage { CheckpointId = id, Timestamp = _env!.Clock.NowMillis, IsSavepoint = savepoint, Channel = ch, Attempt = _attempt });
        if (_checkpointing is null && !savepoint) return;
        var start = Stopwatch.GetTimestamp();
        byte[] bytes;
        try
        {
            bytes = SnapshotTask(id);
        }
        catch (Exception e)
        {
            _master.Tell(new DeclineCheckpoint(_id, _attempt, id, e));
            return;
        }
        var syncMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var stateRef = new TaskStateRef { VertexUid = _vertex.Uid, Subtask = _id.Subtask, Parallelism = _vertex.Parallelism, PersistenceId = _checkpointing?.PersistenceId ?? "", SizeBytes = bytes.Length };
        if (_checkpointing is null)
        {
            // A savepoint of a job without checkpoints: the state goes only into the savepoint's files.
            _master.Tell(new AcknowledgeCheckpoint(_id, _attempt, id, stateRef, alignMs, syncMs, bytes));
            return;
        }
        _saving[id] = (stateRef, alignMs, syncMs, savepoint ? bytes : null);
        _snapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(_checkpointing.PersistenceId, id, DateTime.UtcNow), bytes), Self);
    }

    private byte[] SnapshotTask(long id)
    {
        var chain = _chain!;
        var snap = new TaskStateSnapshot { CheckpointId = id, VertexUid = _vertex.Uid, Subtask = _id.Subtask, Parallelism = _vertex.Parallelism };
        if (chain.Source is not null)
        {
            snap.Splits = [.. chain.Source.SnapshotSplits(id)];
            snap.SplitWatermarks = chain.Source.SnapshotWatermarks();
        }
        for (var i = 0; i < chain.Operators.Count; i++)
        {
            if (chain.Operators[i] is TaskChain.SourcePlaceholder) continue;
            chain.Operators[i].SnapshotState(id);
            snap.Operators[chain.Contexts[i].OperatorId] = chain.Contexts[i].Snapshot();
        }
        return snap.ToBytes(SnapshotEncryption.For(Context.System));
    }

    private void NotifyComplete(long id)
    {
        var chain = _chain!;
        foreach (var op in chain.Operators)
            if (op is ICheckpointListener l) l.NotifyCheckpointComplete(id);
        chain.Source?.NotifyCheckpointComplete(id);
    }

    /// <summary>Watermark = minimum over channels that are neither ended nor idle (Flink: StatusWatermarkValve).</summary>
    private void AdvanceWatermark()
    {
        var min = long.MaxValue;
        var active = 0;
        for (var i = 0; i < _watermarks.Length; i++)
        {
            if (_ended[i] || _idle[i]) continue;
            active++;
            if (_watermarks[i] < min) min = _watermarks[i];
        }
        var allIdle = active == 0 && _endedCount < _inputs.Length;
        if (allIdle != _inputIdle)
        {
            _inputIdle = allIdle;
            foreach (var w in _chain!.Writers) w.Broadcast(ch => new IdleMessage { Idle = allIdle, Channel = ch, Attempt = _attempt });
        }
        if (allIdle) return;
        if (active == 0) min = Api.Time.Watermark.MaxWatermark;
        if (min > _watermark && min != Api.Time.Watermark.NoTimestamp)
        {
            _watermark = min;
            _metrics.CurrentWatermark = min;
            _chain!.Head!.ProcessWatermark(min);
        }
    }

    private void OnSourceIdle(bool idle)
    {
        foreach (var w in _chain!.Writers) w.Broadcast(ch => new IdleMessage { Idle = idle, Channel = ch, Attempt = _attempt });
    }

    private void Poll()
    {
        var start = Stopwatch.GetTimestamp();
        var source = _chain!.Source!;
        var status = source.Poll(_env!.Settings.BatchSize);
        _metrics.BusyTicks += Stopwatch.GetTimestamp() - start;
        switch (status)
        {
            case PollStatus.EndOfInput:
                Finish();
                return;
            case PollStatus.MoreAvailable:
                AfterStep();
                if (Blocked) _pollAfterCredit = true;
                else Self.Tell(PollSource.Instance);
                return;
            default:
                AfterStep();
                // Re-arming replaces a pending poll, as a named Akka timer would.
                _idlePoll ??= new Timer(static self => ((IActorRef)self!).Tell(PollSource.Instance, ActorRefs.NoSender), Self, Timeout.Infinite, Timeout.Infinite);
                _idlePoll.Change(_env.Settings.IdlePollInterval, Timeout.InfiniteTimeSpan);
                return;
        }
    }

    private void AfterStep()
    {
        foreach (var w in _chain!.Writers) w.FlushAll();
        _chain.UpdateMetrics(_metrics);
        if (_blockedSince == 0 && Blocked) _metrics.BackpressuredSinceTicks = _blockedSince = Stopwatch.GetTimestamp();
    }

    private void Unblocked()
    {
        if (Blocked) return;
        if (_blockedSince != 0)
        {
            _metrics.BackpressuredTicks += Stopwatch.GetTimestamp() - _blockedSince;
            _metrics.BackpressuredSinceTicks = _blockedSince = 0;
        }
        while (_pending.Count > 0 && !Blocked) Step(_pending.Dequeue());
        if (_pollAfterCredit && !Blocked)
        {
            _pollAfterCredit = false;
            Self.Tell(PollSource.Instance);
        }
    }

    /// <summary>All input has ended: flush event time, finish operators head first, end every output channel.</summary>
    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        var chain = _chain!;
        if (chain.Source is not null)
        {
            chain.Source.EmitFinalWatermark();
        }
        else if (_watermark != Api.Time.Watermark.MaxWatermark)
        {
            _watermark = Api.Time.Watermark.MaxWatermark;
            chain.Head?.ProcessWatermark(Api.Time.Watermark.MaxWatermark);
        }
        foreach (var op in chain.Operators) op.Finish();
        foreach (var w in chain.Writers) w.Broadcast(ch => new EndOfPartitionMessage { Channel = ch, Attempt = _attempt });
        _metrics.CurrentWatermark = Api.Time.Watermark.MaxWatermark;
        chain.UpdateMetrics(_metrics);
        _metrics.State = TaskState.Finished;
        // With checkpointing, the state after the end of input (sinks' last pre-commits, sources at their end) makes the
        // job's final checkpoint: once it is durable the sinks commit, and a run resumed from it has nothing left to do.
        var finalId = _lastCheckpointId + 1;
        _master.Tell(new TaskFinished(_id, _attempt, finalId, _checkpointing is null ? null : SnapshotTask(finalId)));
    }

    protected override void PostStop()
    {
        if (_metrics.State is TaskState.Running or TaskState.Deploying) _metrics.State = TaskState.Canceled;
        _idlePoll?.Dispose();
        _chain?.Dispose();
    }
}

/// <summary>Processing-time timers of one task: delivered as messages to the task, so they never run concurrently with it.</summary>
internal sealed class TaskProcessingTimeService(IActorRef task, IScheduler scheduler, IClock clock) : IProcessingTimeService
{
    public long CurrentProcessingTime => clock.NowMillis;

    public void RegisterTimer(long timestamp, Action<long> callback)
    {
        var delay = Math.Max(0, timestamp - clock.NowMillis);
        scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(delay), task, new ProcessingTimerFired(callback, timestamp), ActorRefs.NoSender);
    }
}
