using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;

namespace RecoFlow.Api.Operators;

/// <summary>How a window operator is configured.</summary>
public sealed record WindowSettings<T, TWindow>(WindowAssigner<T, TWindow> Assigner, Trigger<T, TWindow> Trigger, long AllowedLatenessMillis, OutputTag<T>? LateDataTag)
    where TWindow : IWindow;

/// <summary>Turns the aggregate of a fired window into output records (internal form of the window functions).</summary>
public abstract class WindowFunction<TAgg, TOut, TKey, TWindow> where TWindow : IWindow
{
    public abstract void Apply(TKey key, TWindow window, TAgg aggregate, IWindowContext<TWindow> context, ICollector<TOut> output);
    public virtual void Open(IRuntimeContext runtime) { }

    public virtual void Close() { }

    public static WindowFunction<TAgg, TAgg, TKey, TWindow> PassThrough { get; } = new PassThroughFunction();

    public static WindowFunction<TAgg, TOut, TKey, TWindow> FromSelector(Func<TKey, TWindow, TAgg, TOut> selector) => new SelectorFunction(selector);

    public static WindowFunction<TAgg, TOut, TKey, TWindow> FromProcess(ProcessWindowFunction<TAgg, TOut, TKey, TWindow> function) => new ProcessSingle(function);

    internal static WindowFunction<IReadOnlyList<TIn>, TOut, TKey, TWindow> FromProcessAll<TIn>(ProcessWindowFunction<TIn, TOut, TKey, TWindow> function) =>
        new ProcessAll<TIn>(function);

    private sealed class PassThroughFunction : WindowFunction<TAgg, TAgg, TKey, TWindow>
    {
        public override void Apply(TKey key, TWindow window, TAgg aggregate, IWindowContext<TWindow> context, ICollector<TAgg> output) => output.Collect(aggregate);
    }

    private sealed class SelectorFunction(Func<TKey, TWindow, TAgg, TOut> selector) : WindowFunction<TAgg, TOut, TKey, TWindow>
    {
        public override void Apply(TKey key, TWindow window, TAgg aggregate, IWindowContext<TWindow> context, ICollector<TOut> output) =>
            output.Collect(selector(key, window, aggregate));
    }

    private sealed class ProcessSingle(ProcessWindowFunction<TAgg, TOut, TKey, TWindow> function) : WindowFunction<TAgg, TOut, TKey, TWindow>
    {
        private readonly TAgg[] _one = new TAgg[1];
        public override void Open(IRuntimeContext runtime) { RichFunction.Bind(function, runtime); function.Open(); }
        public override void Close() => function.Close();
        public override void Apply(TKey key, TWindow window, TAgg aggregate, IWindowContext<TWindow> context, ICollector<TOut> output)
        {
            _one[0] = aggregate;
            function.Process(key, context, _one, output);
        }
    }

    private sealed class ProcessAll<TIn>(ProcessWindowFunction<TIn, TOut, TKey, TWindow> function) : WindowFunction<IReadOnlyList<TIn>, TOut, TKey, TWindow>
    {
        public override void Open(IRuntimeContext runtime) { RichFunction.Bind(function, runtime); function.Open(); }
        public override void Close() => function.Close();
        public override void Apply(TKey key, TWindow window, IReadOnlyList<TIn> aggregate, IWindowContext<TWindow> context, ICollector<TOut> output) =>
            function.Process(key, context, aggregate, output);
    }
}

/// <summary>Reduce as an aggregate: the accumulator is the running value (null before the first record).</summary>
public sealed class ReduceAggregate<T>(Func<T, T, T> reduce) : IAggregateFunction<T, ReduceAccumulator<T>, T>
{
    public ReduceAccumulator<T> CreateAccumulator() => new(false, default!);
    public ReduceAccumulator<T> Add(T value, ReduceAccumulator<T> accumulator) => accumulator.Has ? new(true, reduce(accumulator.Value, value)) : new(true, value);
    public T GetResult(ReduceAccumulator<T> accumulator) => accumulator.Value;
    public ReduceAccumulator<T> Merge(ReduceAccumulator<T> a, ReduceAccumulator<T> b) => !a.Has ? b : !b.Has ? a : new(true, reduce(a.Value, b.Value));
}

[MessagePack.MessagePackObject]
public readonly record struct ReduceAccumulator<T>([property: MessagePack.Key(0)] bool Has, [property: MessagePack.Key(1)] T Value);

/// <summary>Collects every record (for process window functions that need them all).</summary>
public sealed class ListAggregate<T> : IAggregateFunction<T, List<T>, IReadOnlyList<T>>
{
    public List<T> CreateAccumulator() => [];
    public List<T> Add(T value, List<T> accumulator) { accumulator.Add(value); return accumulator; }
    public IReadOnlyList<T> GetResult(List<T> accumulator) => accumulator;
    public List<T> Merge(List<T> a, List<T> b) { a.AddRange(b); return a; }
}
