using RecoFlow.Api;
using RecoFlow.Api.Streams;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// Nexmark query 1, currency conversion: every bid with its price converted from dollars to euros.
/// Flink: <c>SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid</c>.
/// </summary>
public sealed class Q1CurrencyConversion() : NexmarkQuery<Q1Result>("nexmark-q1", "Nexmark q1 (currency conversion): bids with price * 0.908")
{
    /// <summary>Euros per dollar, as in Flink's Nexmark.</summary>
    public const decimal DollarToEuro = 0.908m;

    public override DataStream<Q1Result> Apply(DataStream<Event> events, JobParameters parameters) =>
        Bids(events).Map(static b => new Q1Result(b.Auction, b.Bidder, DollarToEuro * b.Price, b.DateTime, b.Extra), "to-euros");
}
