using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// Materialising a chain on bytes alone (<see cref="KeyedStateCompaction"/>, <see cref="ChainMaterialisation"/>): the
/// compacted snapshot restores exactly what the chain restores, on both backends, and drops what a full snapshot drops
/// (expired entries); into other key-group ranges: <see cref="An_incremental_chain_rescales_by_key_group"/>.
/// </summary>
public sealed partial class IncrementalSnapshotTests
{
    /// <summary>The chain's key groups folded into one full key group each.</summary>
    private static OperatorSnapshot Compacted(IReadOnlyList<OperatorSnapshot> chain)
    {
        // The rows before the last are read back from the store (bytes); the last is the delta the task just took.
        var flat = IncrementalChain.Flatten([.. chain.Take(chain.Count - 1).Select(RoundTrip), chain[^1]]);
        var compacted = new OperatorSnapshot { Operator = flat.Operator, Keyed = KeyedStateCompaction.Compact(flat.Keyed!, chain[^1].Keyed!.Expiry) };
        Assert.False(compacted.Keyed.IsIncremental);
        Assert.All(compacted.Keyed.KeyGroups, g => Assert.False(g.IsDelta));
        Assert.Equal(compacted.Keyed.KeyGroups.Count, compacted.Keyed.KeyGroups.Select(g => g.KeyGroup).Distinct().Count());
        Assert.All(compacted.Keyed.KeyGroups, g => Assert.Null(g.Verify()));
        return compacted;
    }

    private static OperatorSnapshot RoundTrip(OperatorSnapshot snapshot) =>
        MessagePack.MessagePackSerializer.Deserialize<OperatorSnapshot>(MessagePack.MessagePackSerializer.Serialize(snapshot, StateSerializer.Options), StateSerializer.Options);

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void A_compacted_chain_restores_what_the_chain_restores(StateBackendKind backend)
    {
        using var live = Harness(backend).Open();
        foreach (var k in Keys) Feed(live, $"{k}:put:v0", $"{k}:add:a", $"{k}:map:x=1", $"{k}:timer:1000");
        var chain = new List<OperatorSnapshot> { live.Snapshot() };
        Feed(live, "k1:put:v1", "k2:del", "k3:add:b", "k4:map:y=2", "k5:unmap:x", "k6:timer:2000", "k7:untimer:1000");
        chain.Add(live.SnapshotIncremental());
        Feed(live, "k1:put:v2", "k2:put:back", "k3:clearlist", "k8:untimer:1000", "k9:timer:300", "k12:timer:5000", "k12:untimer:5000");
        live.ProcessWatermark(400);
        chain.Add(live.SnapshotIncremental());
        Feed(live, "k10:del", "k10:unmap:x", "k10:clearlist", "k11:put:late", "k6:untimer:2000", "k6:timer:2000");
        chain.Add(live.SnapshotIncremental());

        var compacted = Compacted(chain);
        var full = live.Snapshot();
        // The same entries as a full snapshot of the live state, byte for byte per state (order aside).
        Assert.Equal(full.Keyed!.KeyGroups.Select(g => g.KeyGroup), compacted.Keyed!.KeyGroups.Select(g => g.KeyGroup));
        foreach (var (a, b) in full.Keyed.KeyGroups.Zip(compacted.Keyed.KeyGroups))
            Assert.Equal(a.States.Keys.Order(StringComparer.Ordinal), b.States.Keys.Order(StringComparer.Ordinal));
        Assert.True(compacted.Keyed.SizeBytes <= full.Keyed.SizeBytes + 16, $"{compacted.Keyed.SizeBytes} > {full.Keyed.SizeBytes}");

        using var fromChain = Harness(backend).OpenFromChain(chain);
        using var fromCompacted = Harness(backend).Open(compacted);
        var expected = Observe(fromChain);
        Assert.Equal(expected, Observe(fromCompacted));
        Assert.Contains("k1 value=v2 list=[a] map=[x=1]", expected);
        Assert.Contains("k10 value=- list=[] map=[]", expected);
        Assert.Contains("k6 fired 2000", expected);
        Assert.DoesNotContain("k7 fired 1000", expected);
        Assert.DoesNotContain("k12 fired 5000", expected);

        // A compacted row keeps building: deltas on top of it restore like the live state.
        using var next = Harness(backend).Open(compacted);
        Feed(next, "k13:put:new", "k1:del");
        var second = new List<OperatorSnapshot> { Compacted([compacted]), next.SnapshotIncremental() };
        using var again = Harness(backend).OpenFromChain(second);
        var seen = Observe(again);
        Assert.Contains("k13 value=new list=[a] map=[x=1]", seen);
        Assert.Contains("k1 value=- list=[a] map=[x=1]", seen);
    }

    /// <summary>A value per key with a time-to-live of 1 s: "key:put:v" writes, "key:get" reads it out.</summary>
    private sealed class Expiring : KeyedProcessFunction<string, string, string>
    {
        private IValueState<string>? _value;

        public override void OpenState(IKeyedStateBackend<string> state)
        {
            var descriptor = new ValueStateDescriptor<string>("expiring");
            descriptor.EnableTimeToLive(new StateTtl(TimeSpan.FromSeconds(1)));
            _value = state.GetValueState(descriptor);
        }

        public override void ProcessElement(string value, IKeyedProcessContext<string> ctx, ICollector<string> output)
        {
            var parts = value.Split(':');
            if (parts[1] == "put") _value!.Update(parts[2]);
            else output.Collect($"{parts[0]}={_value!.Value ?? "-"}");
        }
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Compaction_drops_expired_entries_as_a_full_snapshot_does(StateBackendKind backend)
    {
        using var live = new OperatorHarness<string, string>(() => new KeyedProcessOperator<string, string, string>(s => s.Split(':')[0], new Expiring()), typeof(string), stateBackend: backend).Open();
        live.SetProcessingTime(1_000);
        foreach (var k in Keys) live.ProcessElement($"{k}:put:old");
        var chain = new List<OperatorSnapshot> { live.Snapshot() };
        live.SetProcessingTime(1_800);
        live.ProcessElement("k1:put:fresh");
        live.SetProcessingTime(2_500); // every "old" entry has expired; k1's has not
        chain.Add(live.SnapshotIncremental());

        var compacted = Compacted(chain);
        Assert.Equal(live.Snapshot().Keyed!.SizeBytes, compacted.Keyed!.SizeBytes);
        Assert.Single(compacted.Keyed.KeyGroups);
    }
}
