using RecoFlow.Api;
using RecoFlow.Api.Streams;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// Nexmark query 0, pass-through: every bid, unchanged. Measures the cost of the source, the event union and the sink.
/// Flink: <c>SELECT auction, bidder, price, dateTime, extra FROM bid</c> (here the whole <see cref="Bid"/> is kept).
/// </summary>
public sealed class Q0PassThrough() : NexmarkQuery<Bid>("nexmark-q0", "Nexmark q0 (pass-through): every bid")
{
    public override DataStream<Bid> Apply(DataStream<Event> events, JobParameters parameters) => Bids(events);
}
