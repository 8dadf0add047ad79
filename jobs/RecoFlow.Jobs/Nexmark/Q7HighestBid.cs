using MessagePack;
using RecoFlow.Api;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// Nexmark query 7, highest bid: for every tumbling window of <c>window</c> (default 10 s), the bid(s) with the
/// highest price, with the window's end. Two stages so that the work spreads over the parallel subtasks: bids keyed
/// by auction into tumbling windows that keep the auction's highest bids, then those keyed by window end into
/// <see cref="MaxPerWindowFunction{T}"/>. Flink's SQL joins the bids with <c>MAX(price)</c> per window on
/// <c>dateTime BETWEEN window_end - 10 s AND window_end</c>; this query uses the half-open window
/// [end − size, end) for both sides, so a bid exactly at a window's end belongs to the next window only.
/// </summary>
public sealed class Q7HighestBid() : NexmarkQuery<Q7Result>("nexmark-q7", "Nexmark q7 (highest bid): the highest bids of each tumbling window",
    new JobParameter("window", "tumbling window size", "10s"))
{
    public override DataStream<Q7Result> Apply(DataStream<Event> events, JobParameters parameters)
    {
        var size = PositiveDuration(parameters, "window");
        return Bids(events)
            .KeyBy(static b => b.Auction)
            .Window(TumblingWindows<Bid>.OfEventTime(size))
            .Aggregate(new HighestBidsAggregate(), new EmitHighestBids(), "highest-bids-per-auction")
            .KeyBy(static r => r.WindowEnd)
            .Process(new MaxPerWindowFunction<Q7Result>(static r => r.Price), "max-per-window");
    }

    /// <summary>The highest price seen and the bids at that price.</summary>
    [MessagePackObject]
    public sealed class HighestBids
    {
        [Key(0)] public long Price { get; set; } = long.MinValue;
        [Key(1)] public List<Bid> Bids { get; set; } = [];
    }

    /// <summary>Keeps the bids with the highest price (one accumulator per auction and window).</summary>
    public sealed class HighestBidsAggregate : IAggregateFunction<Bid, HighestBids, HighestBids>
    {
        public HighestBids CreateAccumulator() => new();

        public HighestBids Add(Bid value, HighestBids accumulator)
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentNullException.ThrowIfNull(accumulator);
            if (value.Price > accumulator.Price)
            {
                accumulator.Price = value.Price;
                accumulator.Bids.Clear();
            }
            if (value.Price == accumulator.Price) accumulator.Bids.Add(value);
            return accumulator;
        }

        public HighestBids GetResult(HighestBids accumulator) => accumulator;

        public HighestBids Merge(HighestBids a, HighestBids b)
        {
            ArgumentNullException.ThrowIfNull(a);
            ArgumentNullException.ThrowIfNull(b);
            foreach (var bid in b.Bids) Add(bid, a);
            return a;
        }
    }

    /// <summary>Emits each of a window's highest bids with the window's end.</summary>
    public sealed class EmitHighestBids : ProcessWindowFunction<HighestBids, Q7Result, long, TimeWindow>
    {
        public override void Process(long key, IWindowContext<TimeWindow> context, IEnumerable<HighestBids> elements, ICollector<Q7Result> output)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(elements);
            ArgumentNullException.ThrowIfNull(output);
            var end = context.Window.End;
            foreach (var highest in elements)
                foreach (var b in highest.Bids)
                    output.Collect(new Q7Result(b.Auction, b.Price, b.Bidder, b.DateTime, b.Extra, end));
        }
    }
}
