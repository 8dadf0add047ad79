using System.Diagnostics;
using Akka.Actor;
using RecoFlow.Api.Connectors;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// Runs one task: a chain of operators for one subtask (Flink: StreamTask). All operator calls happen inside this actor,
/// so operators are never called concurrently. Input arrives as channel messages; output leaves through writers with
/// credit-based flow control. While any writer is blocked, the task takes no more input (it queues it and grants no
/// credit), so backpressure travels upstream to the sources instead of filling memory.
/// </summary>
/// <remarks>
/// The actor is glue: the <see cref="InputGate"/> keeps the input channels (sequence numbers, credit, queued and
/// blocked messages), the <see cref="BarrierAligner"/> aligns checkpoint barriers, the <see cref="WatermarkValve"/>
/// combines the channels' watermarks, the <see cref="SubtaskCheckpointCoordinator"/> takes and reports snapshots.
/// The actor decides when to process and what to do with each message, and polls the source.
/// Phases: running (<see cref="OnReceive"/>), <see cref="Finished"/> after the end of input, <see cref="Failed"/>.
/// </remarks>
internal sealed class TaskActor : UntypedActor, IWithTimers
{
    private sealed class DrainPending
    {
        public static readonly DrainPending Instance = new();
    }

    private sealed class ReportMetrics
    {
        public static readonly ReportMetrics Instance = new();
    }

    /// <summary>The state a deployment's <see cref="DeployTask.RestoreHandles"/> point to is read (or could not be).</summary>
    private sealed record RestoreRead(DeployTask Deploy, TaskRestore? Restore, Exception? Failure);

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly TaskId _id;
    private readonly JobVertex _vertex;
    private readonly IActorRef _master;
    private readonly TaskMetrics _metrics;
    private readonly Func<IActorRef, IScheduler, TaskEnvironment> _environment;
    private readonly bool _remote;
    private TaskChain? _chain;
    private TaskEnvironment? _env;
    private int _attempt;

    // Input: replaced by the deployment's channels in Deploy.
    private InputGate _gate = new([]);
    private WatermarkValve _valve = new(0);
    private BarrierAligner _aligner = new(new InputGate([]));

    private bool _pollAfterCredit;
    /// <summary>Re-polls an idle source. A .NET timer, not Akka's scheduler: that one ticks every 10 ms, which would
    /// turn the 2 ms idle-poll interval into up to 10 ms of latency per idle poll.</summary>
    private Timer? _idlePoll;
    private bool _finished;
    private long _blockedSince;

    private SubtaskCheckpointCoordinator? _checkpoints;

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

    /// <summary>Some writer holds batches it has no credit to send: take no input and do not poll.</summary>
    private bool OutputBlocked
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
        _chain = new TaskChain(_vertex, _id.Subtask, _env, BroadcastIdle);
        _checkpoints = new SubtaskCheckpointCoordinator(_id, _vertex, _chain, _env.Clock, _master, Self, Context.System);
        if (_remote)
        {
            Context.Watch(_master);
            Timers.StartPeriodicTimer("metrics", ReportMetrics.Instance, TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Running: everything is handled.</summary>
    protected override void OnReceive(object message)
    {
        try
        {
            switch (message)
            {
                case ChannelMessage m:
                    if (m.Attempt != _attempt) return;
                    if (!_gate.Accept(m))
                        throw new InvalidOperationException($"task {_id} ({_vertex.Name}): message {m.Seq} on input channel {m.Channel} where {_gate.ExpectedSeq(m.Channel)} was expected (lost or reordered channel message)");
                    if (_gate.HasQueued || OutputBlocked) { _gate.Enqueue(m); return; }
                    Step(m);
                    break;
                case TriggerCheckpoint t:
                    if (t.Attempt != _attempt) return;
                    // A source task takes its part at once (it has no input to align; Flink: triggerCheckpointAsync).
                    _aligner.CheckpointTaken(t.Id);
                    // stop --drain: event time ends before the barrier, so every window and timer fires into the savepoint's output.
                    if (t.Drain) _chain!.Source?.EmitFinalWatermark();
                    _checkpoints!.Checkpoint(t.Id, t.IsSavepoint, t.SavepointDirectory, Stopwatch.GetTimestamp());
                    AfterStep();
                    break;
                case TaskStateWritten w:
                    _checkpoints!.OnWritten(w);
                    break;
                case TaskStateWriteFailed bad:
                    _checkpoints!.OnWriteFailed(bad.CheckpointId, bad.Cause);
                    break;
                case TriggerFinalCheckpoint f:
                    if (f.Attempt != _attempt) return;
                    _checkpoints!.WriteFinalState(f.Id);
                    break;
                case NotifyCheckpointComplete n:
                    if (n.Attempt != _attempt) return;
                    _chain!.NotifyCheckpointComplete(n.Id);
                    if (n.Final) _master.Tell(new CommitDone(_id, _attempt));
                    break;
                case CreditMessage c:
                    if (c.Attempt != _attempt) return;
                    _chain!.Writers[c.Writer].AddCredit(c.Channel, c.Credits);
                    Unblocked();
                    break;
                case PollSource:
                    if (OutputBlocked) { _pollAfterCredit = true; return; }
                    Poll();
                    break;
                case ProcessingTimerFired t:
                    var start = Stopwatch.GetTimestamp();
                    t.Callback(Math.Max(t.Due, _env!.Clock.NowMillis));
                    _metrics.BusyTicks += Stopwatch.GetTimestamp() - start;
                    AfterStep();
                    break;
                case DeployTask d:
                    if (d.RestoreHandles is { } handles) ReadRestoreAsync(d, handles).PipeTo(Self);
                    else Deploy(d, d.Restore);
                    break;
                case RestoreRead r:
                    if (r.Failure is not null) throw r.Failure;
                    Deploy(r.Deploy, r.Restore);
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
                    else if (_gate.ChannelCount == 0) Finish();
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
        catch (Exception e)
        {
            Become(Failed);
            _metrics.State = TaskState.Failed;
            _master.Tell(new TaskFailed(_id, e));
        }
    }

    /// <summary>
    /// The input ended: the task takes no more checkpoints, polls and timers, but still acknowledges snapshots in flight,
    /// commits on completed checkpoints and sends the rest of its output as credit comes in (Flink: a FINISHED task).
    /// </summary>
    private void Finished(object message)
    {
        if (message is TriggerCheckpoint or PollSource or ProcessingTimerFired) return;
        OnReceive(message);
    }

    /// <summary>The task failed and told its job master (which restarts the attempt): every further message is dropped.</summary>
    private static void Failed(object message)
    {
    }

    /// <summary>
    /// Reads the task snapshots the handles name (off the task's thread) and takes this task's part of them, as the
    /// job master would have (Flink: a task restoring from the state handles of its deployment descriptor).
    /// </summary>
    private async Task<RestoreRead> ReadRestoreAsync(DeployTask d, TaskRestoreHandles handles)
    {
        try
        {
            var storage = handles.Storage(() => SnapshotStoreStorage.For(Context.System));
            var cipher = SnapshotEncryption.For(Context.System);
            var reads = handles.Handles.Select(h => storage.ReadSnapshotAsync(handles.CheckpointId, h, cipher));
            var snapshots = await Task.WhenAll(reads).ConfigureAwait(false);
            return new RestoreRead(d, RestorePlanner.PlanTask(_vertex, _id.Subtask, snapshots, handles.CheckpointId), null);
        }
        catch (Exception e)
        {
            return new RestoreRead(d, null, new InvalidOperationException($"task {_id} ({_vertex.Name}) could not read its state of checkpoint {handles.CheckpointId}: {e.Message}", e));
        }
    }

    private void Deploy(DeployTask d, TaskRestore? restore)
    {
        _metrics.State = TaskState.Deploying;
        _attempt = d.Attempt;
        for (var i = 0; i < d.WriterTargets.Count; i++) _chain!.Writers[i].Connect(d.WriterTargets[i], Self, d.Attempt);
        _gate = new InputGate(d.Inputs, InputGate.AnnounceEvery(_env!.Settings.ChannelCredits));
        _valve = new WatermarkValve(_gate.ChannelCount);
        _aligner = new BarrierAligner(_gate);
        _checkpoints!.Deploy(d.Attempt, d.Checkpointing, d.Checkpointing is null ? null : SnapshotStoreStorage.For(Context.System),
            restore is not null && d.RestoredRow is { } row ? (restore.CheckpointId, row) : null);
        if (restore is not null) _aligner.CheckpointTaken(restore.CheckpointId);
        _chain!.InitializeStateAndOpen(restore);
        _master.Tell(new TaskReady(_id));
    }

    private void Step(ChannelMessage m)
    {
        var start = Stopwatch.GetTimestamp();
        Handle(m);
        _metrics.BusyTicks += Stopwatch.GetTimestamp() - start;
        AfterStep();
    }

    private void Handle(ChannelMessage m)
    {
        var ch = m.Channel;
        if (_gate.IsBlocked(ch))
        {
            // This channel is past the barrier being aligned: its messages wait until the snapshot is taken.
            _gate.Hold(m);
            return;
        }
        switch (m)
        {
            case BarrierMessage b:
                AfterAlignment(_aligner.OnBarrier(ch, b.CheckpointId, b.IsSavepoint, Stopwatch.GetTimestamp(), b.SavepointDirectory));
                break;
            case IDataBatch batch:
                _metrics.RecordsIn += batch.Count;
                _chain!.Input!.Process(batch, _gate.Source(ch).InputIndex);
                if (_gate.GrantCredit(ch, batch.LastCredit) is > 0 and var credits)
                {
                    var source = _gate.Source(ch);
                    source.Task.Tell(new CreditMessage(source.Writer, source.Channel, credits, _attempt), Self);
                }
                break;
            case WatermarkMessage w:
                Forward(_valve.OnWatermark(ch, w.Watermark));
                break;
            case IdleMessage idle:
                Forward(_valve.OnIdle(ch, idle.Idle));
                break;
            case EndOfPartitionMessage:
                _gate.MarkEnded(ch);
                Forward(_valve.OnEnded(ch));
                AfterAlignment(_aligner.OnChannelEnded());
                if (_gate.AllEnded && !_aligner.IsAligning) Finish();
                break;
        }
    }

    /// <summary>Does what the aligner asks: the snapshot first, then the drain of the released messages (they belong after it).</summary>
    private void AfterAlignment(AlignmentResult result)
    {
        if ((result & AlignmentResult.Aligned) != 0) _checkpoints!.Checkpoint(_aligner.LastCheckpointId, _aligner.IsSavepoint, _aligner.SavepointDirectory, _aligner.StartTicks);
        if ((result & AlignmentResult.Released) != 0) Self.Tell(DrainPending.Instance);
    }

    /// <summary>Sends what the valve says downstream: the input's idleness first, then the new watermark into the chain.</summary>
    private void Forward(ValveOutput output)
    {
        if ((output & ValveOutput.IdleChanged) != 0) BroadcastIdle(_valve.IsIdle);
        if ((output & ValveOutput.WatermarkAdvanced) != 0)
        {
            _metrics.CurrentWatermark = _valve.Watermark;
            _chain!.Head!.ProcessWatermark(_valve.Watermark);
        }
    }

    /// <summary>Tells every downstream channel that this task turned idle or active (its input's or its source's idleness).</summary>
    private void BroadcastIdle(bool idle)
    {
        foreach (var w in _chain!.Writers) w.Broadcast(ch => new IdleMessage { Idle = idle, Channel = ch, Attempt = _attempt });
    }

    private void Poll()
    {
        var start = Stopwatch.GetTimestamp();
        var source = _chain!.Source!;
        var status = source.Poll(_env!.Settings.PollSize);
        _metrics.BusyTicks += Stopwatch.GetTimestamp() - start;
        switch (status)
        {
            case PollStatus.EndOfInput:
                Finish();
                return;
            case PollStatus.MoreAvailable:
                AfterStep();
                if (OutputBlocked) _pollAfterCredit = true;
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
        if (_blockedSince == 0 && OutputBlocked) _metrics.BackpressuredSinceTicks = _blockedSince = Stopwatch.GetTimestamp();
    }

    /// <summary>Output may have credit again: process queued input while it lasts, then resume polling.</summary>
    private void Unblocked()
    {
        if (OutputBlocked) return;
        if (_blockedSince != 0)
        {
            _metrics.BackpressuredTicks += Stopwatch.GetTimestamp() - _blockedSince;
            _metrics.BackpressuredSinceTicks = _blockedSince = 0;
        }
        while (!OutputBlocked && _gate.TryDequeue(out var m)) Step(m);
        if (_pollAfterCredit && !OutputBlocked)
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
        Become(Finished);
        var chain = _chain!;
        if (chain.Source is not null)
        {
            chain.Source.EmitFinalWatermark();
        }
        else if (_valve.AdvanceToEnd())
        {
            chain.Head?.ProcessWatermark(Api.Time.Watermark.MaxWatermark);
        }
        foreach (var op in chain.Operators) op.Finish();
        foreach (var w in chain.Writers) w.Broadcast(ch => new EndOfPartitionMessage { Channel = ch, Attempt = _attempt });
        _metrics.CurrentWatermark = Api.Time.Watermark.MaxWatermark;
        chain.UpdateMetrics(_metrics);
        _metrics.State = TaskState.Finished;
        // With checkpointing, the state after the end of input (sinks' last pre-commits, sources at their end) makes the
        // job's final checkpoint: once it is durable the sinks commit, and a run resumed from it has nothing left to do.
        var finalId = _aligner.LastCheckpointId + 1;
        _checkpoints!.KeepFinalState(finalId);
        _master.Tell(new TaskFinished(_id, _attempt, finalId));
    }

    protected override void PostStop()
    {
        if (_metrics.State is TaskState.Running or TaskState.Deploying) _metrics.State = TaskState.Canceled;
        _idlePoll?.Dispose();
        _chain?.Dispose();
    }
}
