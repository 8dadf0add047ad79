using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;

namespace RecoFlow.Api.Functions;

/// <summary>Incremental aggregation (Flink: AggregateFunction): records fold into an accumulator; windows merge accumulators.</summary>
public interface IAggregateFunction<in TIn, TAcc, out TOut>
{
    TAcc CreateAccumulator();
    TAcc Add(TIn value, TAcc accumulator);
    TOut GetResult(TAcc accumulator);
    TAcc Merge(TAcc a, TAcc b);
}

/// <summary>Builds an <see cref="IAggregateFunction{TIn,TAcc,TOut}"/> from lambdas.</summary>
public sealed class AggregateFunction<TIn, TAcc, TOut>(
    Func<TAcc> create, Func<TIn, TAcc, TAcc> add, Func<TAcc, TOut> result, Func<TAcc, TAcc, TAcc> merge) : IAggregateFunction<TIn, TAcc, TOut>
{
    public TAcc CreateAccumulator() => create();
    public TAcc Add(TIn value, TAcc accumulator) => add(value, accumulator);
    public TOut GetResult(TAcc accumulator) => result(accumulator);
    public TAcc Merge(TAcc a, TAcc b) => merge(a, b);
}

/// <summary>Counts records.</summary>
public sealed class CountAggregate<TIn> : IAggregateFunction<TIn, long, long>
{
    public long CreateAccumulator() => 0;
    public long Add(TIn value, long accumulator) => accumulator + 1;
    public long GetResult(long accumulator) => accumulator;
    public long Merge(long a, long b) => a + b;
}

/// <summary>What a function sees of the runtime: parameters, state, metrics, dead letters.</summary>
public interface IRuntimeContext
{
    string OperatorName { get; }
    int SubtaskIndex { get; }
    int Parallelism { get; }
    IReadOnlyDictionary<string, string> JobParameters { get; }
    Operators.IOperatorMetrics Metrics { get; }
    Operators.IDeadLetterOutput DeadLetters { get; }
}

/// <summary>
/// A function with a lifecycle and access to the runtime (Flink: RichFunction). Every parallel subtask runs its own
/// deep copy of the function object given to the job (<see cref="SubtaskCopy"/>), then <c>OpenState</c> (keyed
/// functions) and <see cref="Open"/> on that copy; nothing mutable the function holds is shared with another subtask.
/// </summary>
public abstract class RichFunction
{
    private IRuntimeContext? _runtime;
    protected IRuntimeContext Runtime => _runtime ?? throw new InvalidOperationException("function is not open");
    internal void SetRuntime(IRuntimeContext runtime) => _runtime = runtime;

    /// <summary>Binds the runtime context; called by operators before <see cref="Open"/>.</summary>
    public static void Bind(RichFunction function, IRuntimeContext runtime) => function.SetRuntime(runtime);

    /// <summary>
    /// The copy of a function that one parallel subtask uses. A job holds one function object; every subtask runs its
    /// own shallow copy (fields are copied, objects they point to are shared), so create mutable resources in
    /// <see cref="Open"/>, not in the constructor.
    /// </summary>
    public static T CopyForSubtask<T>(T function) where T : RichFunction => SubtaskCopy.Of(function);

    public virtual void Open() { }
    public virtual void Close() { }
}

/// <summary>Emits records from a function.</summary>
public interface ICollector<in T>
{
    void Collect(T value);
}

/// <summary>Context of a <see cref="ProcessFunction{TIn,TOut}"/> call.</summary>
public interface IProcessContext
{
    /// <summary>Event timestamp of the current record, or <see cref="Time.Watermark.NoTimestamp"/>.</summary>
    long Timestamp { get; }
    long CurrentWatermark { get; }
    long CurrentProcessingTime { get; }
    void Output<TSide>(OutputTag<TSide> tag, TSide value);
}

/// <summary>Low-level per-record function on a non-keyed stream (Flink: ProcessFunction).</summary>
public abstract class ProcessFunction<TIn, TOut> : RichFunction
{
    public abstract void ProcessElement(TIn value, IProcessContext context, ICollector<TOut> output);
}

/// <summary>Timers of a keyed function, for the current key.</summary>
public interface ITimerRegistry
{
    long CurrentWatermark { get; }
    long CurrentProcessingTime { get; }
    void RegisterEventTimeTimer(long time);
    void DeleteEventTimeTimer(long time);
    void RegisterProcessingTimeTimer(long time);
    void DeleteProcessingTimeTimer(long time);
}

/// <summary>Context of a <see cref="KeyedProcessFunction{TKey,TIn,TOut}"/> call.</summary>
public interface IKeyedProcessContext<out TKey> : IProcessContext
{
    TKey CurrentKey { get; }
    ITimerRegistry Timers { get; }
}

/// <summary>Context of a timer callback.</summary>
public interface IOnTimerContext<out TKey> : IKeyedProcessContext<TKey>
{
    TimeDomain Domain { get; }
}

public enum TimeDomain { EventTime, ProcessingTime }

/// <summary>
/// Per-record function on a keyed stream with keyed state and timers (Flink: KeyedProcessFunction).
/// State is declared in <see cref="OpenState"/> through the <see cref="IKeyedStateBackend{TKey}"/>; it is scoped to the current key.
/// </summary>
public abstract class KeyedProcessFunction<TKey, TIn, TOut> : RichFunction where TKey : notnull
{
    /// <summary>Declares state; called once before <see cref="RichFunction.Open"/>.</summary>
    public virtual void OpenState(IKeyedStateBackend<TKey> state) { }

    public abstract void ProcessElement(TIn value, IKeyedProcessContext<TKey> context, ICollector<TOut> output);

    public virtual void OnTimer(long timestamp, IOnTimerContext<TKey> context, ICollector<TOut> output) { }
}

/// <summary>Context of a window function call.</summary>
public interface IWindowContext<out TWindow>
{
    TWindow Window { get; }
    long CurrentWatermark { get; }
    long CurrentProcessingTime { get; }
    void Output<TSide>(OutputTag<TSide> tag, TSide value);
}

/// <summary>Turns the contents (or the aggregate) of a fired window into results (Flink: ProcessWindowFunction).</summary>
public abstract class ProcessWindowFunction<TIn, TOut, TKey, TWindow> : RichFunction where TWindow : IWindow
{
    public abstract void Process(TKey key, IWindowContext<TWindow> context, IEnumerable<TIn> elements, ICollector<TOut> output);
}

/// <summary>Read-only context of the keyed side of a broadcast connection.</summary>
public interface IKeyedBroadcastReadContext<out TKey> : IKeyedProcessContext<TKey>
{
    IReadOnlyBroadcastState<TBK, TBV> GetBroadcastState<TBK, TBV>(MapStateDescriptor<TBK, TBV> descriptor) where TBK : notnull;
}

/// <summary>Writable context of the broadcast side.</summary>
public interface IBroadcastContext : IProcessContext
{
    IDictionary<TBK, TBV> GetBroadcastState<TBK, TBV>(MapStateDescriptor<TBK, TBV> descriptor) where TBK : notnull;
}

/// <summary>
/// Joins a keyed stream with a broadcast stream (Flink: KeyedBroadcastProcessFunction): broadcast records update
/// broadcast state, which every parallel instance holds in full; keyed records read it.
/// </summary>
public abstract class KeyedBroadcastProcessFunction<TKey, TIn, TBroadcast, TOut> : RichFunction where TKey : notnull
{
    public virtual void OpenState(IKeyedStateBackend<TKey> state) { }
    public abstract void ProcessElement(TIn value, IKeyedBroadcastReadContext<TKey> context, ICollector<TOut> output);
    public abstract void ProcessBroadcastElement(TBroadcast value, IBroadcastContext context, ICollector<TOut> output);
    public virtual void OnTimer(long timestamp, IOnTimerContext<TKey> context, ICollector<TOut> output) { }
}

/// <summary>Joins a non-keyed stream with a broadcast stream.</summary>
public abstract class BroadcastProcessFunction<TIn, TBroadcast, TOut> : RichFunction
{
    public abstract void ProcessElement(TIn value, IBroadcastReadContext context, ICollector<TOut> output);
    public abstract void ProcessBroadcastElement(TBroadcast value, IBroadcastContext context, ICollector<TOut> output);
}

public interface IBroadcastReadContext : IProcessContext
{
    IReadOnlyBroadcastState<TBK, TBV> GetBroadcastState<TBK, TBV>(MapStateDescriptor<TBK, TBV> descriptor) where TBK : notnull;
}
