using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;
using RecoFlow.Runtime.Execution;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// Incremental snapshots of keyed state, through the operator harness, on both backends (heap and RocksDB): a delta holds only what changed
/// (writes, overwrites, removals, timers added and removed), and a chain restores exactly the state a full snapshot
/// restores, also into other key-group ranges (rescaling).
/// </summary>
public sealed partial class IncrementalSnapshotTests
{
    /// <summary>
    /// Commands "key:op[:arg]": put/del a value, add to a list, map/unmap an entry, timer/untimer an event-time timer,
    /// dump the key's state. A fired timer emits "key fired T".
    /// </summary>
    private sealed class Commands : KeyedProcessFunction<string, string, string>
    {
        private IValueState<string>? _value;
        private IListState<string>? _list;
        private IMapState<string, int>? _map;

        public override void OpenState(IKeyedStateBackend<string> state)
        {
            _value = state.GetValueState(new ValueStateDescriptor<string>("value"));
            _list = state.GetListState(new ListStateDescriptor<string>("list"));
            _map = state.GetMapState(new MapStateDescriptor<string, int>("map"));
        }

        public override void ProcessElement(string value, IKeyedProcessContext<string> ctx, ICollector<string> output)
        {
            var parts = value.Split(':');
            var arg = parts.Length > 2 ? parts[2] : "";
            switch (parts[1])
            {
                case "put": _value!.Update(arg); break;
                case "del": _value!.Clear(); break;
                case "add": _list!.Add(arg); break;
                case "clearlist": _list!.Update([]); break;
                case "map": _map!.Put(arg.Split('=')[0], int.Parse(arg.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture)); break;
                case "unmap": _map!.Remove(arg); break;
                case "timer": ctx.Timers.RegisterEventTimeTimer(long.Parse(arg, System.Globalization.CultureInfo.InvariantCulture)); break;
                case "untimer": ctx.Timers.DeleteEventTimeTimer(long.Parse(arg, System.Globalization.CultureInfo.InvariantCulture)); break;
                case "dump":
                    output.Collect($"{parts[0]} value={_value!.Value ?? "-"} list=[{string.Join(",", _list!.Get())}] map=[{string.Join(",", _map!.Entries().OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"))}]");
                    break;
            }
        }

        public override void OnTimer(long timestamp, IOnTimerContext<string> ctx, ICollector<string> output) => output.Collect($"{ctx.CurrentKey} fired {timestamp}");
    }

    private static OperatorHarness<string, string> Harness(StateBackendKind backend, int parallelism = 1, int subtask = 0) =>
        new(() => new KeyedProcessOperator<string, string, string>(s => s.Split(':')[0], new Commands()), typeof(string), maxParallelism: 128, parallelism: parallelism, subtask: subtask,
            stateBackend: backend);

    private static readonly string[] Keys = [.. Enumerable.Range(0, 40).Select(i => $"k{i}")];

    /// <summary>Every key's state, then every timer up to <paramref name="until"/> firing, as emitted.</summary>
    private static List<string> Observe(OperatorHarness<string, string> h, long until = 10_000)
    {
        h.ClearOutput();
        foreach (var k in Keys) h.ProcessElement($"{k}:dump", 0);
        h.ProcessWatermark(until);
        return [.. h.OutputValues.Order(StringComparer.Ordinal)];
    }

    private static void Feed(OperatorHarness<string, string> h, params string[] commands)
    {
        foreach (var c in commands) h.ProcessElement(c, 0);
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void A_delta_holds_only_the_changed_keys_and_the_removed_ones(StateBackendKind backend)
    {
        using var h = Harness(backend).Open();
        foreach (var k in Keys) Feed(h, $"{k}:put:v", $"{k}:add:a", $"{k}:timer:500");
        var full = h.Snapshot();
        Assert.False(full.Keyed!.IsIncremental);
        Feed(h, "k1:put:w", "k2:del", "k3:untimer:500");
        var delta = h.SnapshotIncremental();
        Assert.True(delta.Keyed!.IsIncremental);
        Assert.All(delta.Keyed.KeyGroups, g => Assert.True(g.IsDelta));
        var names = delta.Keyed.KeyGroups.SelectMany(g => g.States.Keys.Concat(g.Deletions?.Keys.Select(n => "-" + n) ?? [])).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["-timers/user-timers", "-value", "value"], names.Where(n => n.Contains("value", StringComparison.Ordinal) || n.Contains("timers", StringComparison.Ordinal)).ToList());
        Assert.True(delta.Keyed.SizeBytes * 10 < full.Keyed.SizeBytes, $"delta {delta.Keyed.SizeBytes} B, full {full.Keyed.SizeBytes} B");

        // Nothing changed since: the next delta is empty.
        var empty = h.SnapshotIncremental();
        Assert.True(empty.Keyed!.IsIncremental);
        Assert.Empty(empty.Keyed.KeyGroups);
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void A_chain_of_deltas_restores_what_a_full_snapshot_restores(StateBackendKind backend)
    {
        using var live = Harness(backend).Open();
        foreach (var k in Keys) Feed(live, $"{k}:put:v0", $"{k}:add:a", $"{k}:map:x=1", $"{k}:timer:1000");
        var chain = new List<OperatorSnapshot> { live.Snapshot() };
        // Overwrites, removals, list and map changes, timers added, deleted and fired, across several deltas.
        Feed(live, "k1:put:v1", "k2:del", "k3:add:b", "k4:map:y=2", "k5:unmap:x", "k6:timer:2000", "k7:untimer:1000");
        chain.Add(live.SnapshotIncremental());
        Feed(live, "k1:put:v2", "k2:put:back", "k3:clearlist", "k8:untimer:1000", "k9:timer:300");
        live.ProcessWatermark(400); // fires k9's timer: removed from the live timers
        chain.Add(live.SnapshotIncremental());
        Feed(live, "k10:del", "k10:unmap:x", "k10:clearlist", "k11:put:late");
        chain.Add(live.SnapshotIncremental());
        Assert.All(chain.Skip(1), s => Assert.True(s.Keyed!.IsIncremental));

        using var fromFull = Harness(backend).Open(live.Snapshot());
        using var fromChain = Harness(backend).OpenFromChain(chain);
        var expected = Observe(fromFull);
        Assert.Equal(expected, Observe(fromChain));
        Assert.Equal(expected, Observe(live));
        Assert.Contains("k1 value=v2 list=[a] map=[x=1]", expected);
        Assert.Contains("k2 value=back list=[a] map=[x=1]", expected);
        Assert.Contains("k3 value=v0 list=[] map=[x=1]", expected);
        Assert.Contains("k10 value=- list=[] map=[]", expected);
        Assert.DoesNotContain("k7 fired 1000", expected);
        Assert.DoesNotContain("k9 fired 300", expected);
        Assert.Contains("k6 fired 2000", expected);
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void A_restored_chain_keeps_building_after_a_full_snapshot(StateBackendKind backend)
    {
        using var live = Harness(backend).Open();
        foreach (var k in Keys) Feed(live, $"{k}:put:a");
        var chain = new List<OperatorSnapshot> { live.Snapshot() };
        Feed(live, "k1:put:b");
        chain.Add(live.SnapshotIncremental());

        // Restore the chain, change more, and start a new chain from a full snapshot of the restored state.
        using var restored = Harness(backend).OpenFromChain(chain);
        var second = new List<OperatorSnapshot> { restored.Snapshot() };
        Feed(restored, "k2:del");
        second.Add(restored.SnapshotIncremental());
        using var again = Harness(backend).OpenFromChain(second);
        var seen = Observe(again);
        Assert.Contains("k1 value=b list=[] map=[]", seen);
        Assert.DoesNotContain(seen, s => s.StartsWith("k2 value=a", StringComparison.Ordinal));
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void When_more_keys_changed_than_the_state_holds_the_snapshot_is_full(StateBackendKind backend)
    {
        using var h = Harness(backend).Open();
        h.Snapshot();
        // 5,000 keys written and removed again: more changed keys than the state holds (0).
        for (var i = 0; i < 5_000; i++) Feed(h, $"t{i}:put:x", $"t{i}:del");
        Feed(h, "k1:put:kept");
        var s = h.SnapshotIncremental();
        Assert.False(s.Keyed!.IsIncremental);
        using var restored = Harness(backend).OpenFromChain([s]);
        Assert.Contains("k1 value=kept list=[] map=[]", Observe(restored));
    }

    /// <summary>The chain as read back, or (<paramref name="compacted"/>) folded into one full snapshot as materialisation writes it.</summary>
    [Theory]
    [InlineData(StateBackendKind.Heap, false), InlineData(StateBackendKind.RocksDb, false)]
    [InlineData(StateBackendKind.Heap, true), InlineData(StateBackendKind.RocksDb, true)]
    public void An_incremental_chain_rescales_by_key_group(StateBackendKind backend, bool compacted)
    {
        using var live = Harness(backend).Open();
        foreach (var k in Keys) Feed(live, $"{k}:put:v0", $"{k}:timer:700");
        var chain = new List<OperatorSnapshot> { live.Snapshot() };
        foreach (var k in Keys.Where((_, i) => i % 3 == 0)) Feed(live, $"{k}:put:v1");
        foreach (var k in Keys.Where((_, i) => i % 5 == 0)) Feed(live, $"{k}:del", $"{k}:untimer:700");
        chain.Add(live.SnapshotIncremental());
        var expected = Observe(live);

        // Two subtasks of parallelism 2 each take the key groups of their range from the same chain.
        var seen = new List<string>();
        for (var subtask = 0; subtask < 2; subtask++)
        {
            using var part = compacted ? Harness(backend, parallelism: 2, subtask: subtask).Open(Compacted(chain))
                : Harness(backend, parallelism: 2, subtask: subtask).OpenFromChain(chain);
            var range = part.Context.KeyGroups;
            var own = Keys.Where(k => range.Contains(global::RecoFlow.Runtime.KeyGroups.KeyGroupAssignment.KeyGroupOf(k, 128))).ToHashSet(StringComparer.Ordinal);
            Assert.NotEmpty(own);
            seen.AddRange(Observe(part).Where(line => own.Contains(line.Split(' ')[0])));
            // Keys outside the range have no state there.
            Assert.All(Observe(part).Where(line => !own.Contains(line.Split(' ')[0])), line => Assert.EndsWith("value=- list=[] map=[]", line));
        }
        Assert.Equal(expected, [.. seen.Order(StringComparer.Ordinal)]);
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Window_state_round_trips_through_deltas(StateBackendKind backend)
    {
        static OperatorHarness<(string Key, long Value), string> Windows(StateBackendKind backend)
        {
            var settings = new WindowSettings<(string Key, long Value), TimeWindow>(TumblingWindows<(string Key, long Value)>.OfEventTime(TimeSpan.FromSeconds(1)),
                TumblingWindows<(string Key, long Value)>.OfEventTime(TimeSpan.FromSeconds(1)).DefaultTrigger, 0, new OutputTag<(string Key, long Value)>("late"));
            var sum = new AggregateFunction<(string Key, long Value), long, long>(() => 0, (e, a) => a + e.Value, a => a, (a, b) => a + b);
            return new(() => new WindowOperator<string, (string Key, long Value), long, long, string, TimeWindow>(e => e.Key, settings, sum,
                WindowFunction<long, string, string, TimeWindow>.FromSelector((k, w, s) => $"{k}@{w.Start}={s}")), typeof(string), stateBackend: backend);
        }
        using var live = Windows(backend).Open();
        for (var i = 0; i < 50; i++) live.ProcessElement(($"u{i % 7}", i), i * 100);
        var chain = new List<OperatorSnapshot> { live.Snapshot() };
        for (var i = 50; i < 80; i++) live.ProcessElement(($"u{i % 3}", i), i * 100);
        live.ProcessWatermark(3_000);
        chain.Add(live.SnapshotIncremental());
        for (var i = 80; i < 90; i++) live.ProcessElement(($"u{i % 2}", i), i * 100);
        chain.Add(live.SnapshotIncremental());

        using var restored = Windows(backend).OpenFromChain(chain);
        live.ClearOutput();
        live.ProcessWatermark(100_000);
        restored.ProcessWatermark(100_000);
        Assert.NotEmpty(live.OutputValues);
        Assert.Equal(live.OutputValues.Order(StringComparer.Ordinal), restored.OutputValues.Order(StringComparer.Ordinal));
    }
}
