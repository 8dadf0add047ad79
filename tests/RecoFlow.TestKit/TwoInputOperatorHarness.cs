using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.TestKit;

/// <summary>Drives one two-input operator (broadcast connections) like <see cref="OperatorHarness{TIn,TOut}"/> does a one-input one.</summary>
public sealed class TwoInputOperatorHarness<TIn1, TIn2, TOut>(Func<TwoInputOperator<TIn1, TIn2, TOut>> factory, Type? keyType = null, int maxParallelism = 128) : IDisposable
{
    private readonly List<(TOut Value, long Timestamp)> _output = [];
    private readonly Dictionary<string, List<(object?, long)>> _side = [];
    private readonly DeadLetterCollector _deadLetters = new();
    private TwoInputOperator<TIn1, TIn2, TOut>? _operator;
    private OperatorContext? _context;

    public ManualProcessingTime ProcessingTime { get; } = new();
    public IReadOnlyList<TOut> OutputValues => _output.Select(o => o.Value).ToList();
    public IReadOnlyList<Api.Operators.DeadLetter> DeadLetters => _deadLetters.Recent;

    /// <summary>Everything emitted on a side output since the start.</summary>
    public IReadOnlyList<(T Value, long Timestamp)> SideOutput<T>(OutputTag<T> tag) =>
        _side.TryGetValue(tag.Id, out var list) ? list.Select(r => ((T)r.Item1!, r.Item2)).ToList() : [];
    private TwoInputOperator<TIn1, TIn2, TOut> Operator => _operator ?? throw new InvalidOperationException("call Open first");

    /// <summary>The context of the open instance: its operator state (broadcast state included) and metrics.</summary>
    public OperatorContext Context => _context ?? throw new InvalidOperationException("call Open first");

    /// <summary>Creates (a subtask's copy of what the factory returns, as the runtime makes it), sets up and opens the operator.</summary>
    public TwoInputOperatorHarness<TIn1, TIn2, TOut> Open(OperatorSnapshot? restore = null)
    {
        _operator?.Dispose();
        _operator = SubtaskCopy.Of(factory());
        _context = new OperatorContext("harness", "harness-op", 0, 1, maxParallelism, new Dictionary<string, string>(), ProcessingTime, _deadLetters.For("harness"), keyType);
        if (restore is not null) _context.Restore(1, restore);
        _operator.Setup(_context, new Output(_output, _side));
        _operator.InitializeState(_context);
        _operator.Open();
        return this;
    }

    public void ProcessElement1(TIn1 value, long timestamp) => Operator.ProcessElement1(value, timestamp);
    public void ProcessElement2(TIn2 value, long timestamp) => Operator.ProcessElement2(value, timestamp);
    public void ProcessWatermark(long watermark) => Operator.ProcessWatermark(watermark);

    /// <summary>Snapshot (through MessagePack bytes), dispose, and open a fresh instance from it.</summary>
    public void SnapshotAndRestore()
    {
        Operator.SnapshotState(1);
        var bytes = MessagePack.MessagePackSerializer.Serialize(_context!.Snapshot(), StateSerializer.Options);
        Open(MessagePack.MessagePackSerializer.Deserialize<OperatorSnapshot>(bytes, StateSerializer.Options));
    }

    public void Dispose()
    {
        _operator?.Dispose();
        _deadLetters.Dispose();
    }

    private sealed class Output(List<(TOut, long)> records, Dictionary<string, List<(object?, long)>> side) : IOutput<TOut>
    {
        public void Collect(TOut value, long timestamp) => records.Add((value, timestamp));

        public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp)
        {
            if (!side.TryGetValue(tag.Id, out var list)) side[tag.Id] = list = [];
            list.Add((value, timestamp));
        }

        public void EmitWatermark(long watermark) { }
    }
}
