using MessagePack;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>A bid on an auction (Nexmark's <c>Bid</c>).</summary>
/// <param name="Auction">Id of the <see cref="Nexmark.Auction"/> bid on.</param>
/// <param name="Bidder">Id of the <see cref="Person"/> bidding.</param>
/// <param name="Price">Price in cents (dollars × 100).</param>
/// <param name="Channel">Where the bid came from ("Google", "Facebook", "Baidu", "Apple" or "channel-N").</param>
/// <param name="Url">The bid page's URL.</param>
/// <param name="DateTime">Bid time (event time, epoch milliseconds).</param>
/// <param name="Extra">Padding that brings the record to its average size.</param>
[MessagePackObject]
public sealed record Bid(
    [property: Key(0)] long Auction,
    [property: Key(1)] long Bidder,
    [property: Key(2)] long Price,
    [property: Key(3)] string Channel,
    [property: Key(4)] string Url,
    [property: Key(5)] long DateTime,
    [property: Key(6)] string Extra);
