using RecoFlow.Api;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// Nexmark query 5, hot items: for every sliding window (size <c>window-size</c>, default 10 s, every
/// <c>window-slide</c>, default 2 s), the auction(s) with the most bids. Flink's SQL counts bids per auction and
/// HOP window, takes the maximum count per window and joins the two; here: bids keyed by auction into sliding windows
/// that count, then the counts keyed by window end into <see cref="MaxPerWindowFunction{T}"/>.
/// Windows without bids produce nothing; on a tie every auction with the maximum is emitted.
/// </summary>
public sealed class Q5HotItems() : NexmarkQuery<Q5Result>("nexmark-q5", "Nexmark q5 (hot items): auctions with the most bids per sliding window",
    new JobParameter("window-size", "sliding window size", "10s"),
    new JobParameter("window-slide", "sliding window slide", "2s"))
{
    public override DataStream<Q5Result> Apply(DataStream<Event> events, JobParameters parameters)
    {
        var size = PositiveDuration(parameters, "window-size");
        var slide = PositiveDuration(parameters, "window-slide");
        return Bids(events)
            .KeyBy(static b => b.Auction)
            .Window(SlidingWindows<Bid>.OfEventTime(size, slide))
            .Aggregate(new CountAggregate<Bid>(), static (auction, w, n) => new Q5Result(auction, n, w.Start, w.End), "bids-per-auction")
            .KeyBy(static c => c.WindowEnd)
            .Process(new MaxPerWindowFunction<Q5Result>(static c => c.Num), "max-per-window");
    }
}
