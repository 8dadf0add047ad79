using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime.State;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// The choice of keyed-state backend: both write the same snapshot format (so state moves between them), the RocksDB
/// backend's database is working storage removed when the task ends, and the choice is made per job.
/// </summary>
public sealed class StateBackendTests
{
    /// <summary>Counts per key in value state and keeps the words seen in list state; "key?" emits them.</summary>
    private sealed class Tally : KeyedProcessFunction<string, string, string>
    {
        private IValueState<long>? _count;
        private IListState<string>? _seen;

        public override void OpenState(IKeyedStateBackend<string> state)
        {
            _count = state.GetValueState(new ValueStateDescriptor<long>("count"));
            _seen = state.GetListState(new ListStateDescriptor<string>("seen"));
        }

        public override void ProcessElement(string value, IKeyedProcessContext<string> ctx, ICollector<string> output)
        {
            if (value.EndsWith('?')) { output.Collect($"{ctx.CurrentKey}={_count!.Value}[{string.Join(",", _seen!.Get())}]"); return; }
            _count!.Update(_count.Value + 1);
            _seen!.Add(value);
        }
    }

    private static OperatorHarness<string, string> Harness(StateBackendKind backend) =>
        new(() => new KeyedProcessOperator<string, string, string>(s => s[..1], new Tally()), typeof(string), stateBackend: backend);

    private static List<string> Ask(OperatorHarness<string, string> h)
    {
        h.ClearOutput();
        foreach (var k in "abcdefgh") h.ProcessElement($"{k}?", 0);
        return [.. h.OutputValues];
    }

    [Theory]
    [InlineData(StateBackendKind.Heap, StateBackendKind.RocksDb)]
    [InlineData(StateBackendKind.RocksDb, StateBackendKind.Heap)]
    public void A_snapshot_of_one_backend_restores_into_the_other(StateBackendKind from, StateBackendKind to)
    {
        using var source = Harness(from).Open();
        for (var i = 0; i < 200; i++) source.ProcessElement($"{"abcdefg"[i % 7]}{i}", 0);
        var full = source.Snapshot();
        for (var i = 200; i < 230; i++) source.ProcessElement($"{"abc"[i % 3]}{i}", 0);
        var delta = source.SnapshotIncremental();
        Assert.True(delta.Keyed!.IsIncremental);

        using var target = Harness(to).OpenFromChain([full, delta]);
        var expected = Ask(source);
        Assert.Equal(expected, Ask(target));
        Assert.Contains(expected, l => l.StartsWith("a=39[", StringComparison.Ordinal));
        Assert.Contains("h=0[]", expected);
    }

    [Fact]
    public void The_rocksdb_database_is_working_storage_removed_when_the_task_ends()
    {
        string directory;
        using (var h = Harness(StateBackendKind.RocksDb).Open())
        {
            h.ProcessElement("a1", 0);
            var backend = Assert.IsType<RocksDbKeyedStateBackend<string>>(h.Context.KeyedBackend);
            directory = backend.DirectoryPath;
            Assert.True(Directory.Exists(directory));
            Assert.Equal(StateBackendKind.RocksDb, h.Context.StateBackend);
        }
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void The_backend_is_chosen_per_job_and_an_unknown_name_is_refused_naming_it()
    {
        static StreamJob Job()
        {
            var job = new StreamJob("backend");
            job.FromSource(new CollectionSource<int>([1, 2]), WatermarkStrategy<int>.NoWatermarks(), "numbers").SinkTo(new CollectSink<int>());
            return job;
        }
        Assert.Equal(StateBackendKind.Heap, Job().Build().StateBackend);
        Assert.Equal(StateBackendKind.RocksDb, Job().WithStateBackend(StateBackendKind.RocksDb).Build().StateBackend);
        Assert.Equal(StateBackendKind.RocksDb, StateBackends.Parse("RocksDB"));
        Assert.Equal(StateBackendKind.Heap, StateBackends.Parse("heap"));
        var e = Assert.Throws<ArgumentException>(() => StateBackends.Parse("leveldb"));
        Assert.Contains("unknown state backend 'leveldb' (known: heap, rocksdb)", e.Message);
    }
}
