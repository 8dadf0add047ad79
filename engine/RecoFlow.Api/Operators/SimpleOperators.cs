using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;

namespace RecoFlow.Api.Operators;

/// <summary>Emits <c>map(record)</c> for every record, with the record's timestamp. Stateless. (Flink: StreamMap)</summary>
public sealed class StreamMap<TIn, TOut>(Func<TIn, TOut> map) : OneInputOperator<TIn, TOut>
{
    public override void ProcessElement(TIn value, long timestamp) => Output.Collect(map(value), timestamp);
}

/// <summary>Emits the records for which the predicate holds. Stateless. (Flink: StreamFilter)</summary>
public sealed class StreamFilter<T>(Func<T, bool> predicate) : OneInputOperator<T, T>
{
    public override void ProcessElement(T value, long timestamp)
    {
        if (predicate(value)) Output.Collect(value, timestamp);
    }
}

/// <summary>Emits what the function collects for each record, with the record's timestamp. Stateless. (Flink: StreamFlatMap)</summary>
public sealed class StreamFlatMap<TIn, TOut> : OneInputOperator<TIn, TOut>, ICollector<TOut>
{
    private readonly Action<TIn, ICollector<TOut>> _flatMap;
    private long _timestamp;

    public StreamFlatMap(Action<TIn, ICollector<TOut>> flatMap) => _flatMap = flatMap;

    public override void ProcessElement(TIn value, long timestamp)
    {
        _timestamp = timestamp;
        _flatMap(value, this);
    }

    void ICollector<TOut>.Collect(TOut value) => Output.Collect(value, _timestamp);
}

/// <summary>Adapts an operator context into the runtime context functions see.</summary>
public sealed class FunctionRuntimeContext(IOperatorContext context) : IRuntimeContext
{
    public string OperatorName => context.OperatorName;
    public int SubtaskIndex => context.SubtaskIndex;
    public int Parallelism => context.Parallelism;
    public IReadOnlyDictionary<string, string> JobParameters => context.JobParameters;
    public IOperatorMetrics Metrics => context.Metrics;
    public IDeadLetterOutput DeadLetters => context.DeadLetters;
}

/// <summary>
/// Runs a <see cref="ProcessFunction{TIn,TOut}"/>: emits what it collects (with the input's timestamp) and its side
/// outputs. Stateless unless the function keeps state of its own. (Flink: ProcessOperator)
/// </summary>
public sealed class ProcessOperator<TIn, TOut>(ProcessFunction<TIn, TOut> function) : OneInputOperator<TIn, TOut>, IProcessContext, ICollector<TOut>
{
    private long _timestamp;

    public override void Open()
    {
        RichFunction.Bind(function, new FunctionRuntimeContext(Context));
        function.Open();
    }

    public override void ProcessElement(TIn value, long timestamp)
    {
        _timestamp = timestamp;
        function.ProcessElement(value, this, this);
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
}
