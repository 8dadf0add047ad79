using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;

namespace RecoFlow.Runtime.Execution;

/// <summary>The output type of operators that emit nothing (sinks).</summary>
public readonly record struct Unit;

/// <summary>Writes every record into the sink's writer; flushes it when the input ends (Flink: SinkWriterOperator).</summary>
public sealed class SinkOperator<T>(ISink<T> sink, string? stateDirectory) : OneInputOperator<T, Unit>, ISinkOperator
{
    private ISinkWriter<T>? _writer;

    public ISinkWriter<T> Writer => _writer ?? throw new InvalidOperationException("sink is not open");

    public override void Open() =>
        _writer = sink.CreateWriter(new SinkContext(Context.SubtaskIndex, Context.Parallelism, Context.OperatorId, Context.JobParameters, stateDirectory));

    /// <summary>Records written so far.</summary>
    public long Written { get; private set; }

    public override void ProcessElement(T value, long timestamp)
    {
        Written++;
        _writer!.Write(value, timestamp);
    }

    public override void Finish() => _writer?.Flush(endOfInput: true);

    public override void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
        base.Dispose();
    }
}

/// <summary>Untyped view of a sink operator.</summary>
public interface ISinkOperator
{
    long Written { get; }
}
