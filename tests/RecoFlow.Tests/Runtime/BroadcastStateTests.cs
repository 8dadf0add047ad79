using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Runtime;

public sealed class BroadcastStateTests
{
    private static readonly MapStateDescriptor<string, double> Prices = new("prices");

    private sealed record Order(string User, string Item, int Quantity);

    /// <summary>Keyed orders read item prices from broadcast state; keyed state totals per user.</summary>
    private sealed class PriceOrders : KeyedBroadcastProcessFunction<string, Order, (string Item, double Price), string>
    {
        private IValueState<double>? _total;

        public override void OpenState(IKeyedStateBackend<string> state) => _total = state.GetValueState(new ValueStateDescriptor<double>("total"));

        public override void ProcessElement(Order value, IKeyedBroadcastReadContext<string> ctx, ICollector<string> output)
        {
            if (!ctx.GetBroadcastState(Prices).TryGetValue(value.Item, out var price))
            {
                output.Collect($"{ctx.CurrentKey}: no price for {value.Item}");
                return;
            }
            _total!.Update(_total.Value + price * value.Quantity);
            output.Collect($"{ctx.CurrentKey}: {_total.Value}");
        }

        public override void ProcessBroadcastElement((string Item, double Price) value, IBroadcastContext ctx, ICollector<string> output) =>
            ctx.GetBroadcastState(Prices)[value.Item] = value.Price;
    }

    [Fact]
    public void Keyed_side_reads_what_the_broadcast_side_wrote_and_both_survive_restore()
    {
        using var h = new TwoInputOperatorHarness<Order, (string Item, double Price), string>(
            () => new KeyedBroadcastProcessOperator<string, Order, (string, double), string>(o => o.User, new PriceOrders()), typeof(string)).Open();
        h.ProcessElement1(new Order("ann", "apple", 2), 0);
        h.ProcessElement2(("apple", 0.5), 0);
        h.ProcessElement1(new Order("ann", "apple", 2), 0);
        h.SnapshotAndRestore();
        h.ProcessElement2(("pear", 2.0), 0);
        h.ProcessElement1(new Order("ann", "pear", 1), 0);
        h.ProcessElement1(new Order("bob", "apple", 4), 0);
        Assert.Equal(["ann: no price for apple", "ann: 1", "ann: 3", "bob: 2"], h.OutputValues);
    }

    /// <summary>Announces, from every parallel instance, each broadcast record it received.</summary>
    private sealed class Announce : KeyedBroadcastProcessFunction<string, Order, (string Item, double Price), string>
    {
        public override void ProcessElement(Order value, IKeyedBroadcastReadContext<string> ctx, ICollector<string> output) { }

        public override void ProcessBroadcastElement((string Item, double Price) value, IBroadcastContext ctx, ICollector<string> output) =>
            output.Collect($"{Runtime.SubtaskIndex}:{value.Item}");
    }

    [Fact]
    public async Task Every_parallel_instance_receives_every_broadcast_record()
    {
        var job = new StreamJob("broadcast").WithDefaultParallelism(3);
        var prices = job.FromSource(new CollectionSource<(string, double)>([("apple", 0.5), ("pear", 2.0)]), WatermarkStrategy<(string, double)>.NoWatermarks(), "prices")
            .SetParallelism(1).Broadcast(Prices);
        var sink = new CollectSink<string>();
        job.FromSource(new CollectionSource<Order>([new("u", "apple", 1)]), WatermarkStrategy<Order>.NoWatermarks(), "orders").SetParallelism(1)
            .KeyBy(o => o.User)
            .Connect(prices)
            .Process(new Announce(), "announce")
            .SinkTo(sink).SetParallelism(1);
        await JobTestDriver.RunAsync(job);
        Assert.Equal(["0:apple", "0:pear", "1:apple", "1:pear", "2:apple", "2:pear"], sink.Items.Order().ToList());
    }
}
