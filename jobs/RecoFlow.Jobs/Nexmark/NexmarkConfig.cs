namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// Settings of the <see cref="NexmarkGenerator"/>. The defaults are those of Flink's and Beam's Nexmark
/// (<c>NexmarkConfiguration</c>), except that time starts at a fixed <see cref="BaseTime"/> and <see cref="Seed"/>
/// is added, so that a run is reproducible.
/// </summary>
public sealed record NexmarkConfig
{
    /// <summary>2015-07-15T00:00:00Z, a multiple of every window size the queries use.</summary>
    public const long DefaultBaseTime = 1_436_918_400_000;

    /// <summary>Mixed into every event's random stream: two seeds give two different event sequences.</summary>
    public long Seed { get; init; }

    /// <summary>Events per second of event time: event n happens at <c>BaseTime + n·1000/EventsPerSecond</c> ms.</summary>
    public long EventsPerSecond { get; init; } = 10_000;

    /// <summary>Event time of event 0 (epoch milliseconds).</summary>
    public long BaseTime { get; init; } = DefaultBaseTime;

    /// <summary>Persons and sellers are drawn from the most recent this many persons (Flink: numActivePeople).</summary>
    public int NumActivePeople { get; init; } = 1000;

    /// <summary>Bids on non-hot auctions go to the most recent this many auctions (Flink: numInFlightAuctions).</summary>
    public int NumInFlightAuctions { get; init; } = 100;

    /// <summary>A bid goes to a hot auction with probability 1 − 1/ratio (Flink: hotAuctionRatio).</summary>
    public int HotAuctionRatio { get; init; } = 2;

    /// <summary>An auction has a hot seller with probability 1 − 1/ratio (Flink: hotSellersRatio).</summary>
    public int HotSellersRatio { get; init; } = 4;

    /// <summary>A bid comes from a hot bidder with probability 1 − 1/ratio (Flink: hotBiddersRatio).</summary>
    public int HotBiddersRatio { get; init; } = 4;

    /// <summary>Average size a person is padded to with <see cref="Person.Extra"/>, in characters.</summary>
    public int AvgPersonByteSize { get; init; } = 200;

    /// <summary>Average size an auction is padded to with <see cref="Auction.Extra"/>, in characters.</summary>
    public int AvgAuctionByteSize { get; init; } = 500;

    /// <summary>Average size a bid is padded to with <see cref="Bid.Extra"/>, in characters.</summary>
    public int AvgBidByteSize { get; init; } = 100;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public NexmarkConfig Validate()
    {
        if (EventsPerSecond < 1) throw new ArgumentException("EventsPerSecond must be at least 1", nameof(EventsPerSecond));
        if (NumActivePeople < 1) throw new ArgumentException("NumActivePeople must be at least 1", nameof(NumActivePeople));
        if (NumInFlightAuctions < 1) throw new ArgumentException("NumInFlightAuctions must be at least 1", nameof(NumInFlightAuctions));
        if (HotAuctionRatio < 1) throw new ArgumentException("HotAuctionRatio must be at least 1", nameof(HotAuctionRatio));
        if (HotSellersRatio < 1) throw new ArgumentException("HotSellersRatio must be at least 1", nameof(HotSellersRatio));
        if (HotBiddersRatio < 1) throw new ArgumentException("HotBiddersRatio must be at least 1", nameof(HotBiddersRatio));
        if (AvgPersonByteSize < 0 || AvgAuctionByteSize < 0 || AvgBidByteSize < 0) throw new ArgumentException("average sizes must not be negative");
        return this;
    }
}
