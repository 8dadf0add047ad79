using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Windows;

namespace RecoFlow.Api.Streams;

/// <summary>A keyed stream cut into windows, waiting for the function that turns each window into results (Flink: WindowedStream).</summary>
public sealed class WindowedStream<T, TKey, TWindow> where TKey : notnull where TWindow : IWindow
{
    private readonly KeyedStream<TKey, T> _input;
    private readonly WindowAssigner<T, TWindow> _assigner;
    private Trigger<T, TWindow>? _trigger;
    private TimeSpan _allowedLateness = TimeSpan.Zero;
    private OutputTag<T>? _lateTag;

    internal WindowedStream(KeyedStream<TKey, T> input, WindowAssigner<T, TWindow> assigner)
    {
        _input = input;
        _assigner = assigner ?? throw new ArgumentNullException(nameof(assigner));
    }

    /// <summary>Replaces the assigner's default trigger.</summary>
    public WindowedStream<T, TKey, TWindow> Trigger(Trigger<T, TWindow> trigger)
    {
        _trigger = trigger ?? throw new ArgumentNullException(nameof(trigger));
        return this;
    }

    /// <summary>Keeps windows this long after the watermark passes their end; late records within it update and re-fire the window.</summary>
    public WindowedStream<T, TKey, TWindow> AllowedLateness(TimeSpan lateness)
    {
        if (lateness < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lateness), "allowed lateness must not be negative");
        if (!_assigner.IsEventTime && lateness > TimeSpan.Zero) throw new ArgumentException("allowed lateness applies to event-time windows only", nameof(lateness));
        _allowedLateness = lateness;
        return this;
    }

    /// <summary>Records that arrive after their windows are gone go to this side output instead of being dropped.</summary>
    public WindowedStream<T, TKey, TWindow> SideOutputLateData(OutputTag<T> tag)
    {
        _lateTag = tag ?? throw new ArgumentNullException(nameof(tag));
        return this;
    }

    private WindowSettings<T, TWindow> Settings => new(_assigner, _trigger ?? _assigner.DefaultTrigger, (long)_allowedLateness.TotalMilliseconds, _lateTag);

    private string Details(string function) =>
        $"{_assigner.Describe()}, trigger {(_trigger ?? _assigner.DefaultTrigger).Describe()}, lateness {_allowedLateness.TotalMilliseconds} ms{(_lateTag is null ? "" : $", late -> '{_lateTag.Id}'")}, {function}";

    private DataStream<TOut> Build<TAcc, TAggOut, TOut>(string name, IAggregateFunction<T, TAcc, TAggOut> aggregate, WindowFunction<TAggOut, TOut, TKey, TWindow> function, string description)
    {
        var select = _input.Key.Select;
        var settings = Settings;
        return _input.Transform("Window", name, () => new WindowOperator<TKey, T, TAcc, TAggOut, TOut, TWindow>(select, settings, aggregate, function), Details(description));
    }

    /// <summary>Incremental aggregation: each window holds one accumulator; emits the result when the window fires.</summary>
    public DataStream<TOut> Aggregate<TAcc, TOut>(IAggregateFunction<T, TAcc, TOut> function, string name = "WindowAggregate") =>
        Build(name, function, WindowFunction<TOut, TOut, TKey, TWindow>.PassThrough, $"aggregate {function.GetType().Name}");

    /// <summary>Incremental aggregation, then a function that sees the key and the window (for window start/end in the output).</summary>
    public DataStream<TOut> Aggregate<TAcc, TAggOut, TOut>(IAggregateFunction<T, TAcc, TAggOut> function, Func<TKey, TWindow, TAggOut, TOut> resultSelector, string name = "WindowAggregate") =>
        Build(name, function, WindowFunction<TAggOut, TOut, TKey, TWindow>.FromSelector(resultSelector), $"aggregate {function.GetType().Name}");

    /// <summary>Incremental aggregation, then a process window function.</summary>
    public DataStream<TOut> Aggregate<TAcc, TAggOut, TOut>(IAggregateFunction<T, TAcc, TAggOut> function, ProcessWindowFunction<TAggOut, TOut, TKey, TWindow> windowFunction, string name = "WindowAggregate") =>
        Build(name, function, WindowFunction<TAggOut, TOut, TKey, TWindow>.FromProcess(windowFunction), $"aggregate {function.GetType().Name}, process {windowFunction.GetType().Name}");

    /// <summary>Reduces each window's records to one.</summary>
    public DataStream<T> Reduce(Func<T, T, T> reduce, string name = "WindowReduce") =>
        Build(name, new ReduceAggregate<T>(reduce), WindowFunction<T, T, TKey, TWindow>.PassThrough, "reduce");

    /// <summary>Reduces, then a function that sees the key and the window.</summary>
    public DataStream<TOut> Reduce<TOut>(Func<T, T, T> reduce, Func<TKey, TWindow, T, TOut> resultSelector, string name = "WindowReduce") =>
        Build(name, new ReduceAggregate<T>(reduce), WindowFunction<T, TOut, TKey, TWindow>.FromSelector(resultSelector), "reduce");

    /// <summary>Buffers every record of the window and hands them all to the function when it fires.</summary>
    public DataStream<TOut> Process<TOut>(ProcessWindowFunction<T, TOut, TKey, TWindow> function, string name = "WindowProcess") =>
        Build(name, new ListAggregate<T>(), WindowFunction<IReadOnlyList<T>, TOut, TKey, TWindow>.FromProcessAll(function), $"process {function.GetType().Name}");
}

/// <summary>Windows over a whole non-keyed stream (Flink: AllWindowedStream); runs with parallelism 1.</summary>
public sealed class AllWindowedStream<T, TWindow> where TWindow : IWindow
{
    private readonly WindowedStream<T, byte, TWindow> _inner;

    internal AllWindowedStream(DataStream<T> input, WindowAssigner<T, TWindow> assigner)
    {
        _inner = new WindowedStream<T, byte, TWindow>(new KeyedStream<byte, T>(input.Job, input.Producers, new Graph.KeySelector<T, byte>(static _ => 0)), assigner);
    }

    public AllWindowedStream<T, TWindow> Trigger(Trigger<T, TWindow> trigger) { _inner.Trigger(trigger); return this; }
    public AllWindowedStream<T, TWindow> AllowedLateness(TimeSpan lateness) { _inner.AllowedLateness(lateness); return this; }
    public AllWindowedStream<T, TWindow> SideOutputLateData(OutputTag<T> tag) { _inner.SideOutputLateData(tag); return this; }

    public DataStream<TOut> Aggregate<TAcc, TOut>(IAggregateFunction<T, TAcc, TOut> function, string name = "WindowAllAggregate") => Limit(_inner.Aggregate(function, name));

    public DataStream<TOut> Aggregate<TAcc, TAggOut, TOut>(IAggregateFunction<T, TAcc, TAggOut> function, Func<TWindow, TAggOut, TOut> resultSelector, string name = "WindowAllAggregate") =>
        Limit(_inner.Aggregate(function, (_, w, r) => resultSelector(w, r), name));

    public DataStream<T> Reduce(Func<T, T, T> reduce, string name = "WindowAllReduce") => Limit(_inner.Reduce(reduce, name));

    public DataStream<TOut> Process<TOut>(Func<TWindow, IReadOnlyList<T>, IEnumerable<TOut>> function, string name = "WindowAllProcess") =>
        Limit(_inner.Process(new AllWindowProcessAdapter<T, TOut, TWindow>(function), name));

    private static DataStream<TOut> Limit<TOut>(DataStream<TOut> stream)
    {
        stream.Producers[0].Node.LimitParallelism(1);
        return stream;
    }
}

internal sealed class AllWindowProcessAdapter<T, TOut, TWindow>(Func<TWindow, IReadOnlyList<T>, IEnumerable<TOut>> function) : ProcessWindowFunction<T, TOut, byte, TWindow> where TWindow : IWindow
{
    public override void Process(byte key, IWindowContext<TWindow> context, IEnumerable<T> elements, ICollector<TOut> output)
    {
        foreach (var r in function(context.Window, elements as IReadOnlyList<T> ?? elements.ToList())) output.Collect(r);
    }
}
