using RecoFlow.Api.Functions;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;

namespace RecoFlow.Api.Operators;

/// <summary>
/// Runs a <see cref="KeyedProcessFunction{TKey,TIn,TOut}"/> (Flink: KeyedProcessOperator). Emits what the function
/// collects: with the record's timestamp while processing a record, with the timer's time from a timer.
/// State: whatever the function declares, plus its timers; both are checkpointed.
/// </summary>
public sealed class KeyedProcessOperator<TKey, TIn, TOut>(Func<TIn, TKey> keySelector, KeyedProcessFunction<TKey, TIn, TOut> function)
    : KeyedOneInputOperator<TKey, TIn, TOut>(keySelector), ITimerCallback<TKey, VoidNamespace>
    where TKey : notnull
{
    private readonly KeyedFunctionContext<TKey, TOut> _ctx = new();
    private ITimerService<TKey, VoidNamespace>? _timers;

    public override void Open()
    {
        _timers = Backend.GetTimerService("user-timers", this);
        _ctx.Bind(this, Backend, _timers, Output);
        RichFunction.Bind(function, new FunctionRuntimeContext(Context));
        function.OpenState(Backend);
        function.Open();
    }

    protected override void ProcessKeyed(TKey key, TIn value, long timestamp)
    {
        _ctx.Set(timestamp, TimeDomain.EventTime);
        function.ProcessElement(value, _ctx, _ctx);
    }

    void ITimerCallback<TKey, VoidNamespace>.OnEventTime(TKey key, VoidNamespace ns, long time)
    {
        _ctx.Set(time, TimeDomain.EventTime);
        function.OnTimer(time, _ctx, _ctx);
    }

    void ITimerCallback<TKey, VoidNamespace>.OnProcessingTime(TKey key, VoidNamespace ns, long time)
    {
        _ctx.Set(Time.Watermark.NoTimestamp, TimeDomain.ProcessingTime);
        function.OnTimer(time, _ctx, _ctx);
    }

    public override void Dispose()
    {
        function.Close();
        base.Dispose();
    }
}

/// <summary>The namespace of timers and state that have none.</summary>
[MessagePack.MessagePackObject]
public readonly record struct VoidNamespace
{
    public static VoidNamespace Instance => default;
}

/// <summary>One reusable context object for keyed functions: process context, timer registry and collector at once.</summary>
internal class KeyedFunctionContext<TKey, TOut> : IOnTimerContext<TKey>, ITimerRegistry, ICollector<TOut> where TKey : notnull
{
    private IStreamOperator? _op;
    private IKeyedStateBackend<TKey>? _backend;
    private ITimerService<TKey, VoidNamespace>? _timers;
    private IOutput<TOut>? _output;
    private long _timestamp;

    public void Bind(IStreamOperator op, IKeyedStateBackend<TKey> backend, ITimerService<TKey, VoidNamespace> timers, IOutput<TOut> output)
    {
        _op = op; _backend = backend; _timers = timers; _output = output;
    }

    public void Set(long timestamp, TimeDomain domain) { _timestamp = timestamp; Domain = domain; }

    public long Timestamp => _timestamp;
    public long CurrentWatermark => _op!.CurrentWatermark;
    public long CurrentProcessingTime => _timers!.CurrentProcessingTime;
    public TKey CurrentKey => _backend!.CurrentKey;
    public ITimerRegistry Timers => this;
    public TimeDomain Domain { get; private set; }

    public void Output<TSide>(OutputTag<TSide> tag, TSide value) => _output!.CollectSide(tag, value, _timestamp);
    public void Collect(TOut value) => _output!.Collect(value, _timestamp);

    public void RegisterEventTimeTimer(long time) => _timers!.RegisterEventTimeTimer(VoidNamespace.Instance, time);
    public void DeleteEventTimeTimer(long time) => _timers!.DeleteEventTimeTimer(VoidNamespace.Instance, time);
    public void RegisterProcessingTimeTimer(long time) => _timers!.RegisterProcessingTimeTimer(VoidNamespace.Instance, time);
    public void DeleteProcessingTimeTimer(long time) => _timers!.DeleteProcessingTimeTimer(VoidNamespace.Instance, time);
}

/// <summary>The keyed function context plus access to broadcast state, for keyed broadcast functions.</summary>
internal sealed class KeyedBroadcastFunctionContext<TKey, TOut>(IOperatorStateStore store)
    : KeyedFunctionContext<TKey, TOut>, IKeyedBroadcastReadContext<TKey>, IBroadcastContext where TKey : notnull
{
    public IReadOnlyBroadcastState<TBK, TBV> GetBroadcastState<TBK, TBV>(MapStateDescriptor<TBK, TBV> descriptor) where TBK : notnull =>
        new ReadOnlyBroadcastState<TBK, TBV>(store.GetBroadcastState(descriptor));

    IDictionary<TBK, TBV> IBroadcastContext.GetBroadcastState<TBK, TBV>(MapStateDescriptor<TBK, TBV> descriptor) => store.GetBroadcastState(descriptor);
}
