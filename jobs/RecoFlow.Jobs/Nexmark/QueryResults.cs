using MessagePack;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>Query 1 (currency conversion): a bid with its price in euros.</summary>
/// <param name="Auction">The bid's auction.</param>
/// <param name="Bidder">The bid's bidder.</param>
/// <param name="Price">The bid's price × 0.908 (dollar cents → euro cents, exact decimal as in Flink's DECIMAL result).</param>
/// <param name="DateTime">The bid's event time (epoch ms).</param>
/// <param name="Extra">The bid's padding.</param>
[MessagePackObject]
public sealed record Q1Result(
    [property: Key(0)] long Auction,
    [property: Key(1)] long Bidder,
    [property: Key(2)] decimal Price,
    [property: Key(3)] long DateTime,
    [property: Key(4)] string Extra);

/// <summary>Query 2 (selection): a bid on an auction whose id is a multiple of the modulo.</summary>
/// <param name="Auction">The bid's auction (a multiple of <c>auction-modulo</c>).</param>
/// <param name="Price">The bid's price in cents.</param>
[MessagePackObject]
public sealed record Q2Result(
    [property: Key(0)] long Auction,
    [property: Key(1)] long Price);

/// <summary>Query 5 (hot items): an auction with the most bids in a sliding window (all of them on a tie).</summary>
/// <param name="Auction">The auction.</param>
/// <param name="Num">Its number of bids in the window, the window's maximum.</param>
/// <param name="WindowStart">Start of the window (epoch ms, inclusive).</param>
/// <param name="WindowEnd">End of the window (epoch ms, exclusive).</param>
[MessagePackObject]
public sealed record Q5Result(
    [property: Key(0)] long Auction,
    [property: Key(1)] long Num,
    [property: Key(2)] long WindowStart,
    [property: Key(3)] long WindowEnd);

/// <summary>Query 7 (highest bid): a bid with the highest price of its tumbling window (all of them on a tie).</summary>
/// <param name="Auction">The bid's auction.</param>
/// <param name="Price">The bid's price in cents, the window's maximum.</param>
/// <param name="Bidder">The bid's bidder.</param>
/// <param name="DateTime">The bid's event time (epoch ms), in [WindowEnd − size, WindowEnd).</param>
/// <param name="Extra">The bid's padding.</param>
/// <param name="WindowEnd">End of the bid's window (epoch ms, exclusive).</param>
[MessagePackObject]
public sealed record Q7Result(
    [property: Key(0)] long Auction,
    [property: Key(1)] long Price,
    [property: Key(2)] long Bidder,
    [property: Key(3)] long DateTime,
    [property: Key(4)] string Extra,
    [property: Key(5)] long WindowEnd);

/// <summary>Query 8 (monitor new users): a person who opened an auction in the tumbling window in which they registered.</summary>
/// <param name="Id">The person's id.</param>
/// <param name="Name">The person's name.</param>
/// <param name="StartTime">Start of the window (epoch ms) in which the person registered and sold.</param>
[MessagePackObject]
public sealed record Q8Result(
    [property: Key(0)] long Id,
    [property: Key(1)] string Name,
    [property: Key(2)] long StartTime);
