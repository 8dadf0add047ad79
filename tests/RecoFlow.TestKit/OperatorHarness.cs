using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.TestKit;

/// <summary>
/// Drives one operator in a plain unit test (Flink: OneInputStreamOperatorTestHarness): push records and watermarks,
/// move processing time, read what it emitted (main output, side outputs, watermarks) and its dead letters, inspect its
/// keyed state, and take a snapshot to restore into a fresh instance.
/// </summary>
public sealed class OperatorHarness<TIn, TOut> : IDisposable
{
    private readonly Func<OneInputOperator<TIn, TOut>> _factory;
    private readonly Type? _keyType;
    private readonly int _maxParallelism;
    private readonly int _parallelism;
    private readonly int _subtask;
    private readonly IReadOnlyDictionary<string, string> _parameters;
    private readonly Api.State.StateBackendKind _stateBackend;
    private readonly CollectingOutput _output = new();
    private readonly DeadLetterCollector _deadLetters = new();
    private OneInputOperator<TIn, TOut>? _operator;
    private OperatorContext? _context;

    /// <param name="factory">Creates the operator (called again for each restore).</param>
    /// <param name="keyType">Key type for keyed operators; null for operators on non-keyed streams.</param>
    /// <param name="stateBackend">Where keyed state lives (the RocksDB backend's database goes to a temporary directory, removed on dispose).</param>
    public OperatorHarness(Func<OneInputOperator<TIn, TOut>> factory, Type? keyType = null, int maxParallelism = 128, int parallelism = 1, int subtask = 0,
        IReadOnlyDictionary<string, string>? parameters = null, long startProcessingTime = 0, Api.State.StateBackendKind stateBackend = Api.State.StateBackendKind.Heap)
    {
        _stateBackend = stateBackend;
        _factory = factory;
        _keyType = keyType;
        _maxParallelism = maxParallelism;
        _parallelism = parallelism;
        _subtask = subtask;
        _parameters = parameters ?? new Dictionary<string, string>();
        ProcessingTime = new ManualProcessingTime(startProcessingTime);
    }

    public ManualProcessingTime ProcessingTime { get; }
    public OneInputOperator<TIn, TOut> Operator => _operator ?? throw new InvalidOperationException("call Open first");
    public OperatorContext Context => _context ?? throw new InvalidOperationException("call Open first");

    /// <summary>Everything emitted on the main output since the start (or the last <see cref="ClearOutput"/>).</summary>
    public IReadOnlyList<(TOut Value, long Timestamp)> Output => _output.Records;
    public IReadOnlyList<TOut> OutputValues => _output.Records.Select(r => r.Value).ToList();
    public IReadOnlyList<long> Watermarks => _output.Watermarks;
    public IReadOnlyList<Api.Operators.DeadLetter> DeadLetters => _deadLetters.Recent;

    public IReadOnlyList<(T Value, long Timestamp)> SideOutput<T>(OutputTag<T> tag) =>
        _output.Side.TryGetValue(tag.Id, out var list) ? list.Cast<(T, long)>().ToList() : [];

    /// <summary>
    /// Creates, sets up and opens the operator, optionally from a snapshot. The operator is a subtask's copy of what the
    /// factory returns (<see cref="SubtaskCopy"/>), as the runtime makes it.
    /// </summary>
    public OperatorHarness<TIn, TOut> Open(OperatorSnapshot? restore = null)
    {
        _operator?.Dispose();
        _context?.Dispose();
        _operator = SubtaskCopy.Of(_factory());
        _context = new OperatorContext("harness", "harness-op", _subtask, _parallelism, _maxParallelism, _parameters, ProcessingTime, _deadLetters.For("harness"), _keyType,
            _stateBackend);
        if (restore is not null) _context.Restore(1, restore);
        _operator.Setup(_context, _output);
        _operator.InitializeState(_context);
        _operator.Open();
        return this;
    }

    public void ProcessElement(TIn value, long timestamp = Api.Time.Watermark.NoTimestamp) => Operator.ProcessElement(value, timestamp);
    public void ProcessWatermark(long watermark) => Operator.ProcessWatermark(watermark);
    public void SetProcessingTime(long time) => ProcessingTime.AdvanceTo(time);
    public void Finish() => Operator.Finish();
    public void ClearOutput() => _output.Clear();

    /// <summary>A snapshot of the operator's state (keyed state, timers, operator state).</summary>
    public OperatorSnapshot Snapshot()
    {
        Operator.SnapshotState(1);
        return Context.Snapshot();
    }

    /// <summary>
    /// A snapshot as an incremental checkpoint takes it: the keyed state holds only what changed since the previous
    /// snapshot (of either kind), unless more changed than a delta is worth (then it is full; see
    /// <see cref="Runtime.State.KeyedStateSnapshot.IsIncremental"/>).
    /// </summary>
    public OperatorSnapshot SnapshotIncremental()
    {
        Operator.SnapshotState(1);
        return Context.Snapshot(incremental: true);
    }

    /// <summary>
    /// Opens a fresh instance restored from a chain of snapshots (a full one, then incremental ones, oldest first), each
    /// round-tripped through bytes, as a restore of an incremental checkpoint reads it.
    /// </summary>
    public OperatorHarness<TIn, TOut> OpenFromChain(IReadOnlyList<OperatorSnapshot> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return Open(Runtime.Checkpointing.IncrementalChain.Flatten(chain.Select(RoundTrip).ToList()));
    }

    private static OperatorSnapshot RoundTrip(OperatorSnapshot snapshot) =>
        MessagePack.MessagePackSerializer.Deserialize<OperatorSnapshot>(MessagePack.MessagePackSerializer.Serialize(snapshot, Runtime.State.StateSerializer.Options), Runtime.State.StateSerializer.Options);

    /// <summary>Snapshot, dispose, and open a fresh instance restored from the snapshot (Flink's "snapshot, close and restore again").</summary>
    public OperatorSnapshot SnapshotAndRestore()
    {
        var snap = Snapshot();
        // Round-trip through bytes, as a checkpoint would.
        var bytes = MessagePack.MessagePackSerializer.Serialize(snap, Runtime.State.StateSerializer.Options);
        var restored = MessagePack.MessagePackSerializer.Deserialize<OperatorSnapshot>(bytes, Runtime.State.StateSerializer.Options);
        Open(restored);
        return restored;
    }

    public void Dispose()
    {
        _operator?.Dispose();
        _context?.Dispose();
        _deadLetters.Dispose();
    }

    private sealed class CollectingOutput : IOutput<TOut>
    {
        public List<(TOut Value, long Timestamp)> Records { get; } = [];
        public List<long> Watermarks { get; } = [];
        public Dictionary<string, List<object>> Side { get; } = [];

        public void Collect(TOut value, long timestamp) => Records.Add((value, timestamp));

        public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp)
        {
            if (!Side.TryGetValue(tag.Id, out var list)) Side[tag.Id] = list = [];
            list.Add((value, timestamp));
        }

        public void EmitWatermark(long watermark) => Watermarks.Add(watermark);

        public void Clear()
        {
            Records.Clear();
            Watermarks.Clear();
            Side.Clear();
        }
    }
}
