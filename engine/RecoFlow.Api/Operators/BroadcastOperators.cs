using RecoFlow.Api.Functions;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;

namespace RecoFlow.Api.Operators;

/// <summary>
/// Runs a <see cref="KeyedBroadcastProcessFunction{TKey,TIn,TBroadcast,TOut}"/> (Flink: CoBroadcastWithKeyedOperator).
/// Input 1 is keyed; input 2 is broadcast to every subtask and may write broadcast state, which each subtask holds in
/// full and checkpoints. Keyed state and timers as in <see cref="KeyedProcessOperator{TKey,TIn,TOut}"/>.
/// </summary>
public sealed class KeyedBroadcastProcessOperator<TKey, TIn, TBroadcast, TOut>(Func<TIn, TKey> keySelector, KeyedBroadcastProcessFunction<TKey, TIn, TBroadcast, TOut> function)
    : TwoInputOperator<TIn, TBroadcast, TOut>, ITimerCallback<TKey, VoidNamespace>
    where TKey : notnull
{
    private KeyedBroadcastFunctionContext<TKey, TOut>? _ctx;
    private IKeyedStateBackend<TKey>? _backend;

    public override void Open()
    {
        _backend = Context.GetKeyedStateBackend<TKey>();
        _ctx = new KeyedBroadcastFunctionContext<TKey, TOut>(Context.OperatorState);
        _ctx.Bind(this, _backend, _backend.GetTimerService("user-timers", this), Output);
        RichFunction.Bind(function, new FunctionRuntimeContext(Context));
        function.OpenState(_backend);
        function.Open();
    }

    public override void ProcessElement1(TIn value, long timestamp)
    {
        var key = keySelector(value);
        if (key is null)
        {
            Context.DeadLetters.Report($"key selector of {Context.OperatorName} returned null", value, timestamp);
            return;
        }
        _backend!.CurrentKey = key;
        _ctx!.Set(timestamp, TimeDomain.EventTime);
        function.ProcessElement(value, _ctx, _ctx);
    }

    public override void ProcessElement2(TBroadcast value, long timestamp)
    {
        _ctx!.Set(timestamp, TimeDomain.EventTime);
        function.ProcessBroadcastElement(value, _ctx, _ctx);
    }

    protected override void OnWatermark(long watermark) => _backend!.AdvanceWatermark(watermark);

    void ITimerCallback<TKey, VoidNamespace>.OnEventTime(TKey key, VoidNamespace ns, long time)
    {
        _ctx!.Set(time, TimeDomain.EventTime);
        function.OnTimer(time, _ctx, _ctx);
    }

    void ITimerCallback<TKey, VoidNamespace>.OnProcessingTime(TKey key, VoidNamespace ns, long time)
    {
        _ctx!.Set(Time.Watermark.NoTimestamp, TimeDomain.ProcessingTime);
        function.OnTimer(time, _ctx, _ctx);
    }

    public override void Dispose()
    {
        function.Close();
        base.Dispose();
    }
}

/// <summary>Runs a <see cref="BroadcastProcessFunction{TIn,TBroadcast,TOut}"/> on a non-keyed stream (Flink: CoBroadcastWithNonKeyedOperator).</summary>
public sealed class BroadcastProcessOperator<TIn, TBroadcast, TOut>(BroadcastProcessFunction<TIn, TBroadcast, TOut> function)
    : TwoInputOperator<TIn, TBroadcast, TOut>, IBroadcastReadContext, IBroadcastContext, ICollector<TOut>
{
    private long _timestamp;

    public override void Open()
    {
        RichFunction.Bind(function, new FunctionRuntimeContext(Context));
        function.Open();
    }

    public override void ProcessElement1(TIn value, long timestamp)
    {
        _timestamp = timestamp;
        function.ProcessElement(value, this, this);
    }

    public override void ProcessElement2(TBroadcast value, long timestamp)
    {
        _timestamp = timestamp;
        function.ProcessBroadcastElement(value, this, this);
    }

    public override void Dispose()
    {
        function.Close();
        base.Dispose();
    }

    long IProcessContext.Timestamp => _timestamp;
    long IProcessContext.CurrentProcessingTime => Context.ProcessingTime.CurrentProcessingTime;
    void IProcessContext.Output<TSide>(OutputTag<TSide> tag, TSide value) => Output.CollectSide(tag, value, _timestamp);
    void ICollector<TOut>.Collect(TOut value) => Output.Collect(value, _timestamp);

    IReadOnlyBroadcastState<TBK, TBV> IBroadcastReadContext.GetBroadcastState<TBK, TBV>(MapStateDescriptor<TBK, TBV> descriptor) =>
        new ReadOnlyBroadcastState<TBK, TBV>(Context.OperatorState.GetBroadcastState(descriptor));

    IDictionary<TBK, TBV> IBroadcastContext.GetBroadcastState<TBK, TBV>(MapStateDescriptor<TBK, TBV> descriptor) => Context.OperatorState.GetBroadcastState(descriptor);
}

internal sealed class ReadOnlyBroadcastState<TKey, TValue>(IDictionary<TKey, TValue> map) : IReadOnlyBroadcastState<TKey, TValue> where TKey : notnull
{
    public bool TryGetValue(TKey key, out TValue value) => map.TryGetValue(key, out value!);
    public IEnumerable<KeyValuePair<TKey, TValue>> Entries() => map;
}
