using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Operators;

public sealed class KeyedProcessTests
{
    /// <summary>Counts per key; emits the count when an event-time timer 1 s after the first record fires.</summary>
    private sealed class CountThenEmit : KeyedProcessFunction<string, string, string>
    {
        private IValueState<long>? _count;

        public override void OpenState(IKeyedStateBackend<string> state) => _count = state.GetValueState(new ValueStateDescriptor<long>("count"));

        public override void ProcessElement(string value, IKeyedProcessContext<string> ctx, ICollector<string> output)
        {
            if (!_count!.HasValue) ctx.Timers.RegisterEventTimeTimer(ctx.Timestamp + 1_000);
            _count.Update(_count.Value + 1);
        }

        public override void OnTimer(long timestamp, IOnTimerContext<string> ctx, ICollector<string> output)
        {
            output.Collect($"{ctx.CurrentKey}={_count!.Value}@{timestamp}");
            _count.Clear();
        }
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Event_time_timers_fire_per_key_in_time_order_and_survive_restore(StateBackendKind backend)
    {
        using var h = new OperatorHarness<string, string>(() => new KeyedProcessOperator<string, string, string>(s => s, new CountThenEmit()), typeof(string), stateBackend: backend).Open();
        h.ProcessElement("a", 100);
        h.ProcessElement("b", 600);
        h.ProcessElement("a", 200);
        var snap = h.SnapshotAndRestore();
        Assert.NotNull(snap.Keyed);
        h.ProcessWatermark(1_099);
        Assert.Empty(h.Output);
        h.ProcessWatermark(1_100);
        Assert.Equal(["a=2@1100"], h.OutputValues);
        h.ProcessWatermark(5_000);
        Assert.Equal(["a=2@1100", "b=1@1600"], h.OutputValues);
    }

    private sealed class SessionTimeout : KeyedProcessFunction<string, string, string>
    {
        public override void ProcessElement(string value, IKeyedProcessContext<string> ctx, ICollector<string> output) =>
            ctx.Timers.RegisterProcessingTimeTimer(ctx.CurrentProcessingTime + 500);

        public override void OnTimer(long timestamp, IOnTimerContext<string> ctx, ICollector<string> output) =>
            output.Collect($"{ctx.CurrentKey}:{ctx.Domain}:{timestamp}");
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Processing_time_timers_fire_when_the_clock_reaches_them(StateBackendKind backend)
    {
        using var h = new OperatorHarness<string, string>(() => new KeyedProcessOperator<string, string, string>(s => s, new SessionTimeout()), typeof(string), stateBackend: backend).Open();
        h.SetProcessingTime(1_000);
        h.ProcessElement("x");
        h.SetProcessingTime(1_499);
        Assert.Empty(h.Output);
        h.SetProcessingTime(1_500);
        Assert.Equal(["x:ProcessingTime:1500"], h.OutputValues);
    }

    private sealed class Remember : KeyedProcessFunction<string, string, string>
    {
        private IValueState<string>? _last;
        public override void OpenState(IKeyedStateBackend<string> state) =>
            _last = state.GetValueState(new ValueStateDescriptor<string>("last").EnableTimeToLive(new StateTtl(TimeSpan.FromSeconds(10))));

        public override void ProcessElement(string value, IKeyedProcessContext<string> ctx, ICollector<string> output)
        {
            output.Collect(_last!.HasValue ? $"seen {_last.Value}" : "new");
            _last.Update(value);
        }
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void State_with_ttl_expires_after_its_time_to_live_and_is_not_snapshotted(StateBackendKind backend)
    {
        using var h = new OperatorHarness<string, string>(() => new KeyedProcessOperator<string, string, string>(_ => "k", new Remember()), typeof(string), stateBackend: backend).Open();
        h.SetProcessingTime(0);
        h.ProcessElement("one");
        h.SetProcessingTime(9_999);
        h.ProcessElement("two");
        h.SetProcessingTime(19_999);
        Assert.Empty(h.Snapshot().Keyed!.KeyGroups);
        h.ProcessElement("three");
        Assert.Equal(["new", "seen one", "new"], h.OutputValues);
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Null_key_goes_to_dead_letters_naming_the_operator(StateBackendKind backend)
    {
        using var h = new OperatorHarness<string, string>(() => new KeyedProcessOperator<string, string, string>(_ => null!, new Remember()), typeof(string), stateBackend: backend).Open();
        h.ProcessElement("x");
        Assert.Empty(h.Output);
        var d = Assert.Single(h.DeadLetters);
        Assert.Contains("key selector of harness returned null", d.Reason);
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void List_map_reducing_and_aggregating_state_round_trip(StateBackendKind backend)
    {
        using var h = new OperatorHarness<string, string>(() => new KeyedProcessOperator<string, string, string>(s => s[..1], new AllStates()), typeof(string), stateBackend: backend).Open();
        h.ProcessElement("a1");
        h.ProcessElement("a2");
        h.ProcessElement("b7");
        h.SnapshotAndRestore();
        h.ProcessElement("a3");
        Assert.Equal("a: list=1,2,3 map=3 sum=6 avg=2", h.OutputValues[^1]);
    }

    private sealed class AllStates : KeyedProcessFunction<string, string, string>
    {
        private IListState<int>? _list;
        private IMapState<int, string>? _map;
        private IReducingState<int>? _sum;
        private IAggregatingState<int, double>? _avg;

        public override void OpenState(IKeyedStateBackend<string> s)
        {
            _list = s.GetListState(new ListStateDescriptor<int>("list"));
            _map = s.GetMapState(new MapStateDescriptor<int, string>("map"));
            _sum = s.GetReducingState(new ReducingStateDescriptor<int>("sum", (a, b) => a + b));
            _avg = s.GetAggregatingState(new AggregatingStateDescriptor<int, (long Sum, long N), double>("avg",
                new AggregateFunction<int, (long Sum, long N), double>(() => (0, 0), (v, a) => (a.Sum + v, a.N + 1), a => (double)a.Sum / a.N, (x, y) => (x.Sum + y.Sum, x.N + y.N))));
        }

        public override void ProcessElement(string value, IKeyedProcessContext<string> ctx, ICollector<string> output)
        {
            var n = value[1] - '0';
            _list!.Add(n);
            _map!.Put(n, value);
            _sum!.Add(n);
            _avg!.Add(n);
            output.Collect($"{ctx.CurrentKey}: list={string.Join(",", _list.Get())} map={_map.Count} sum={_sum.Get()} avg={_avg.Get()}");
        }
    }
}
