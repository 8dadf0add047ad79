using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;

namespace RecoFlow.Runtime.Execution;

/// <summary>Calls the next operator of a chain directly: no buffer, no copy, no hop (Flink: ChainingOutput).</summary>
internal sealed class ChainingOutput<T>(IOneInputOperator<T> next) : IOutput<T>
{
    public IOneInputOperator<T> Next => next;
    public void Collect(T value, long timestamp) => next.ProcessElement(value, timestamp);
    public void EmitWatermark(long watermark) => next.ProcessWatermark(watermark);
    public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp) => throw new InvalidOperationException("side outputs are routed by the operator output");
}

/// <summary>
/// The output of one operator in a task: its main consumers (chained operators and channel writers), its side outputs
/// by tag, and a count of records out. Watermarks go to every consumer, side outputs included.
/// </summary>
internal sealed class OperatorOutput<T> : IOutput<T>
{
    private readonly IOutput<T>[] _main;
    private readonly IOutput<T>? _single;
    private readonly IOneInputOperator<T>? _chained;
    private readonly Dictionary<string, object> _side;
    private readonly IWatermarkTarget[] _watermarkTargets;

    public OperatorOutput(IReadOnlyList<IOutput<T>> main, Dictionary<string, object> side)
    {
        _main = [.. main];
        _single = _main.Length == 1 ? _main[0] : null;
        // The common case inside a chain: one consumer, the next operator. Calling it directly saves a dispatch per
        // record and operator.
        _chained = (_single as ChainingOutput<T>)?.Next;
        _side = side;
        _watermarkTargets = _main.Cast<object>().Concat(side.Values).Distinct(ReferenceEqualityComparer.Instance)
            .Select(o => (IWatermarkTarget)new WatermarkTarget(o)).ToArray();
    }

    public void Collect(T value, long timestamp)
    {
        if (_chained is not null) { _chained.ProcessElement(value, timestamp); return; }
        if (_single is not null) { _single.Collect(value, timestamp); return; }
        foreach (var o in _main) o.Collect(value, timestamp);
    }

    public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp)
    {
        if (_side.TryGetValue(tag.Id, out var o)) ((IOutput<TSide>)o).Collect(value, timestamp);
    }

    public void EmitWatermark(long watermark)
    {
        foreach (var t in _watermarkTargets) t.Emit(watermark);
    }

    private interface IWatermarkTarget { void Emit(long watermark); }

    private sealed class WatermarkTarget(object output) : IWatermarkTarget
    {
        private readonly Action<long> _emit =
            (Action<long>)output.GetType().GetMethod(nameof(IOutput<int>.EmitWatermark))!.CreateDelegate(typeof(Action<long>), output);

        public void Emit(long watermark) => _emit(watermark);
    }
}

/// <summary>Fans one side-output tag out to several consumers.</summary>
internal sealed class FanOutOutput<T>(IReadOnlyList<IOutput<T>> outputs) : IOutput<T>
{
    private readonly IOutput<T>[] _outputs = [.. outputs];
    public void Collect(T value, long timestamp) { foreach (var o in _outputs) o.Collect(value, timestamp); }
    public void EmitWatermark(long watermark) { foreach (var o in _outputs) o.EmitWatermark(watermark); }
    public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp) => throw new InvalidOperationException("nested side outputs");
}

/// <summary>The end of a chain without consumers (a sink's output).</summary>
internal sealed class NullOutput<T> : IOutput<T>
{
    public static readonly NullOutput<T> Instance = new();
    public void Collect(T value, long timestamp) { }
    public void EmitWatermark(long watermark) { }
    public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp) { }
}
