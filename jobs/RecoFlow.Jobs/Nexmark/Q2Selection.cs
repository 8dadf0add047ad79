using RecoFlow.Api;
using RecoFlow.Api.Streams;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// Nexmark query 2, selection: the bids on auctions whose id is a multiple of <c>auction-modulo</c> (default 123).
/// Flink: <c>SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0</c>.
/// </summary>
public sealed class Q2Selection() : NexmarkQuery<Q2Result>("nexmark-q2", "Nexmark q2 (selection): (auction, price) of bids with auction % auction-modulo == 0",
    new JobParameter("auction-modulo", "keep bids whose auction id is a multiple of this", "123"))
{
    public override DataStream<Q2Result> Apply(DataStream<Event> events, JobParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var modulo = parameters.GetLong("auction-modulo");
        if (modulo < 1) throw new JobParameterException($"parameter 'auction-modulo' must be at least 1, got {modulo}");
        return Bids(events)
            .Filter(b => b.Auction % modulo == 0, "auction-modulo")
            .Map(static b => new Q2Result(b.Auction, b.Price), "project");
    }
}
