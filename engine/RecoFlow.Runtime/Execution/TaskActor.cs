using System.Diagnostics;
using Akka.Actor;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;
using RecoFlow.Runtime.Channels;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// Runs one task: a chain of operators for one subtask (Flink: StreamTask). All operator calls happen inside this actor,
/// so operators are never called concurrently. Input arrives as channel messages; output leaves through writers with
/// credit-based flow control. While any writer is blocked, the task takes no more input (it queues it and grants no
/// credit), so backpressure travels upstream to the sources instead of filling memory.
/// </summary>
internal sealed class TaskActor : UntypedActor, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;

    private readonly TaskId _id;
    private readonly JobVertex _vertex;
    private readonly IActorRef _master;
    private readonly TaskMetrics _metrics;
    private readonly Func<IActorRef, IScheduler, TaskEnvironment> _environment;
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
    private bool _finished;
    private bool _failed;
    private long _blockedSince;

    /// <param name="environment">Builds the task's surroundings from its own actor (processing-time timers are messages to it) and the scheduler.</param>
    public TaskActor(TaskId id, JobVertex vertex, IActorRef master, TaskMetrics metrics, Func<IActorRef, IScheduler, TaskEnvironment> environment)
    {
        _id = id;
        _vertex = vertex;
        _master = master;
        _metrics = metrics;
        _environment = environment;
    }

    public static Props Props(TaskId id, JobVertex vertex, IActorRef master, TaskMetrics metrics, Func<IActorRef, IScheduler, TaskEnvironment> environment) =>
        Akka.Actor.Props.Create(() => new TaskActor(id, vertex, master, metrics, environment));

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
                    if (_pending.Count > 0 || Blocked) { _pending.Enqueue(m); return; }
                    Step(m);
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
                case StartTask:
                    _metrics.State = TaskState.Running;
                    _metrics.StartedAtTicks = Stopwatch.GetTimestamp();
                    if (_chain!.Source is not null) Self.Tell(new PollSource());
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
        for (var i = _chain!.Operators.Count - 1; i >= 0; i--)
        {
            _chain.Operators[i].InitializeState(_chain.Contexts[i]);
            _chain.Operators[i].Open();
        }
        if (_chain.Source is not null) _chain.AddSplits(d.Splits ?? _chain.InitialSplits());
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
        if (m.Seq != _expectedSeq[ch])
            throw new InvalidOperationException($"task {_id} ({_vertex.Name}): message {m.Seq} on input channel {ch} where {_expectedSeq[ch]} was expected (lost or reordered channel message)");
        _expectedSeq[ch]++;
        var source = _inputs[ch];
        switch (m)
        {
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
                if (_endedCount == _inputs.Length) Finish();
                break;
        }
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
                else Self.Tell(new PollSource());
                return;
            default:
                AfterStep();
                Timers.StartSingleTimer("poll", new PollSource(), _env.Settings.IdlePollInterval);
                return;
        }
    }

    private void AfterStep()
    {
        foreach (var w in _chain!.Writers) w.FlushAll();
        _chain.UpdateMetrics(_metrics);
        if (_blockedSince == 0 && Blocked) _blockedSince = Stopwatch.GetTimestamp();
    }

    private void Unblocked()
    {
        if (Blocked) return;
        if (_blockedSince != 0)
        {
            _metrics.BackpressuredTicks += Stopwatch.GetTimestamp() - _blockedSince;
            _blockedSince = 0;
        }
        while (_pending.Count > 0 && !Blocked) Step(_pending.Dequeue());
        if (_pollAfterCredit && !Blocked)
        {
            _pollAfterCredit = false;
            Self.Tell(new PollSource());
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
        _master.Tell(new TaskFinished(_id));
    }

    protected override void PostStop()
    {
        if (_metrics.State is TaskState.Running or TaskState.Deploying) _metrics.State = TaskState.Canceled;
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
