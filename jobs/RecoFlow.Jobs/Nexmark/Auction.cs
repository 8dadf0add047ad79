using MessagePack;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>An item put up for auction (Nexmark's <c>Auction</c>).</summary>
/// <param name="Id">Auction id, unique, starting at <see cref="NexmarkGenerator.FirstAuctionId"/>.</param>
/// <param name="ItemName">Random item name.</param>
/// <param name="Description">Random description.</param>
/// <param name="InitialBid">Starting price in cents.</param>
/// <param name="Reserve">Reserve price in cents (above <paramref name="InitialBid"/>).</param>
/// <param name="DateTime">Creation time (event time, epoch milliseconds).</param>
/// <param name="Expires">When the auction closes (epoch milliseconds, after <paramref name="DateTime"/>).</param>
/// <param name="Seller">Id of the <see cref="Person"/> selling.</param>
/// <param name="Category">Category id, from <see cref="NexmarkGenerator.FirstCategoryId"/> on.</param>
/// <param name="Extra">Padding that brings the record to its average size.</param>
[MessagePackObject]
public sealed record Auction(
    [property: Key(0)] long Id,
    [property: Key(1)] string ItemName,
    [property: Key(2)] string Description,
    [property: Key(3)] long InitialBid,
    [property: Key(4)] long Reserve,
    [property: Key(5)] long DateTime,
    [property: Key(6)] long Expires,
    [property: Key(7)] long Seller,
    [property: Key(8)] long Category,
    [property: Key(9)] string Extra);
