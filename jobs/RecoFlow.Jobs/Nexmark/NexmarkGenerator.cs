using System.Globalization;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// The Nexmark event generator, after Flink's <c>NexmarkGenerator</c> (itself Beam's): every 50 events are 1 person,
/// 3 auctions and 46 bids, in that order; auctions are sold by recent persons, bids go to recent auctions and come
/// from recent persons, with "hot" auctions, sellers and bidders that take most of the traffic.
/// <para><see cref="Generate(long)"/> is a pure function of the configuration and the event number: each event draws
/// from its own random stream, so a source can generate any subset of event numbers (disjoint per split) in any order,
/// and the same events can be materialised in an array for an independent computation or a benchmark.</para>
/// </summary>
public sealed class NexmarkGenerator
{
    public const long FirstPersonId = 1000;
    public const long FirstAuctionId = 1000;
    public const long FirstCategoryId = 10;

    public const int PersonProportion = 1;
    public const int AuctionProportion = 3;
    public const int BidProportion = 46;
    public const int ProportionDenominator = PersonProportion + AuctionProportion + BidProportion;

    // Flink/Beam constants: ids may refer a little into the future; hot items are the first of each batch of 100.
    private const int PersonIdLead = 10;
    private const int AuctionIdLead = 10;
    private const int HotAuctionBatch = 100;
    private const int HotSellerBatch = 100;
    private const int HotBidderBatch = 100;
    private const int NumCategories = 5;
    private const int HotChannelsRatio = 100;
    private const int ChannelsNumber = 10_000;
    private const int MinStringLength = 3;

    private static readonly string[] UsStates = ["AZ", "CA", "ID", "OR", "WA", "WY"];
    private static readonly string[] UsCities = ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"];
    private static readonly string[] FirstNames = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"];
    private static readonly string[] LastNames = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"];
    private static readonly string[] HotChannels = ["Google", "Facebook", "Baidu", "Apple"];
    private static readonly string[] HotUrls =
    [
        "https://www.nexmark.com/goo/gle/item.htm?query=1",
        "https://www.nexmark.com/fac/ebo/item.htm?query=1",
        "https://www.nexmark.com/bai/du_/item.htm?query=1",
        "https://www.nexmark.com/app/le_/item.htm?query=1",
    ];

    private readonly NexmarkConfig _config;
    private readonly long _auctionHorizonEvents;

    public NexmarkGenerator(NexmarkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config.Validate();
        _auctionHorizonEvents = (long)config.NumInFlightAuctions * ProportionDenominator / AuctionProportion;
    }

    public NexmarkConfig Config => _config;

    /// <summary>Which kind event <paramref name="n"/> is: offsets 0, 1–3 and 4–49 of each 50 are person, auction, bid.</summary>
    public static EventKind KindOf(long n)
    {
        var offset = n % ProportionDenominator;
        return offset < PersonProportion ? EventKind.Person
            : offset < PersonProportion + AuctionProportion ? EventKind.Auction
            : EventKind.Bid;
    }

    /// <summary>Event time of event <paramref name="n"/>: <c>BaseTime + ⌊n·1000/EventsPerSecond⌋</c> (non-decreasing in n).</summary>
    public long TimestampOf(long n)
    {
        var rate = _config.EventsPerSecond;
        return _config.BaseTime + n / rate * 1000 + n % rate * 1000 / rate;
    }

    /// <summary>Event number <paramref name="n"/> (n ≥ 0).</summary>
    public Event Generate(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var random = new NexmarkRandom(_config.Seed, n);
        var time = TimestampOf(n);
        return KindOf(n) switch
        {
            EventKind.Person => new Event(NextPerson(n, ref random, time)),
            EventKind.Auction => new Event(NextAuction(n, ref random, time)),
            _ => new Event(NextBid(n, ref random, time)),
        };
    }

    /// <summary>Events <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1, in order.</summary>
    public Event[] GenerateRange(long first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var events = new Event[count];
        for (var i = 0; i < count; i++) events[i] = Generate(first + i);
        return events;
    }

    /// <summary>Id (from 0) of the last person generated at or before event <paramref name="n"/>.</summary>
    public static long LastBase0PersonId(long n)
    {
        var epoch = n / ProportionDenominator;
        var offset = n % ProportionDenominator;
        if (offset >= PersonProportion) offset = PersonProportion - 1;
        return epoch * PersonProportion + offset;
    }

    /// <summary>Id (from 0) of the last auction generated at or before event <paramref name="n"/> (−1 before the first).</summary>
    public static long LastBase0AuctionId(long n)
    {
        var epoch = n / ProportionDenominator;
        var offset = n % ProportionDenominator;
        if (offset < PersonProportion)
        {
            epoch--;
            offset = AuctionProportion - 1;
        }
        else if (offset >= PersonProportion + AuctionProportion)
        {
            offset = AuctionProportion - 1;
        }
        else
        {
            offset -= PersonProportion;
        }
        return epoch * AuctionProportion + offset;
    }

    /// <summary>A recent person (one of the last NumActivePeople, or up to PersonIdLead ahead).</summary>
    private long NextBase0PersonId(long n, ref NexmarkRandom random)
    {
        var numPeople = LastBase0PersonId(n) + 1;
        var activePeople = Math.Min(numPeople, _config.NumActivePeople);
        return numPeople - activePeople + random.NextLong(activePeople + PersonIdLead);
    }

    /// <summary>A recent auction (one of the last NumInFlightAuctions, or up to AuctionIdLead ahead).</summary>
    private long NextBase0AuctionId(long n, ref NexmarkRandom random)
    {
        var maxAuction = LastBase0AuctionId(n);
        var minAuction = Math.Max(maxAuction - _config.NumInFlightAuctions, 0);
        return minAuction + random.NextLong(maxAuction - minAuction + 1 + AuctionIdLead);
    }

    private Person NextPerson(long n, ref NexmarkRandom random, long time)
    {
        var id = LastBase0PersonId(n) + FirstPersonId;
        var name = string.Concat(FirstNames[random.NextInt(FirstNames.Length)], " ", LastNames[random.NextInt(LastNames.Length)]);
        var email = NextEmail(ref random);
        var creditCard = NextCreditCard(ref random);
        var city = UsCities[random.NextInt(UsCities.Length)];
        var state = UsStates[random.NextInt(UsStates.Length)];
        var size = 8 + name.Length + email.Length + creditCard.Length + city.Length + state.Length;
        var extra = NextExtra(ref random, size, _config.AvgPersonByteSize);
        return new Person(id, name, email, creditCard, city, state, time, extra);
    }

    private Auction NextAuction(long n, ref NexmarkRandom random, long time)
    {
        var id = LastBase0AuctionId(n) + FirstAuctionId;
        var seller = random.NextInt(_config.HotSellersRatio) > 0
            ? LastBase0PersonId(n) / HotSellerBatch * HotSellerBatch
            : NextBase0PersonId(n, ref random);
        seller += FirstPersonId;
        var category = FirstCategoryId + random.NextInt(NumCategories);
        var initialBid = NextPrice(ref random);
        var expires = time + NextAuctionLengthMs(n, ref random, time);
        var name = NextString(ref random, 20);
        var description = NextString(ref random, 100);
        var reserve = initialBid + NextPrice(ref random);
        var size = 8 + name.Length + description.Length + 8 + 8 + 8 + 8 + 8;
        var extra = NextExtra(ref random, size, _config.AvgAuctionByteSize);
        return new Auction(id, name, description, initialBid, reserve, time, expires, seller, category, extra);
    }

    private Bid NextBid(long n, ref NexmarkRandom random, long time)
    {
        var auction = random.NextInt(_config.HotAuctionRatio) > 0
            ? LastBase0AuctionId(n) / HotAuctionBatch * HotAuctionBatch
            : NextBase0AuctionId(n, ref random);
        auction += FirstAuctionId;
        var bidder = random.NextInt(_config.HotBiddersRatio) > 0
            ? LastBase0PersonId(n) / HotBidderBatch * HotBidderBatch + 1
            : NextBase0PersonId(n, ref random);
        bidder += FirstPersonId;
        var price = NextPrice(ref random);
        string channel, url;
        if (random.NextInt(HotChannelsRatio) > 0)
        {
            var i = random.NextInt(HotChannels.Length);
            channel = HotChannels[i];
            url = HotUrls[i];
        }
        else
        {
            var channelNumber = random.NextInt(ChannelsNumber);
            channel = "channel-" + channelNumber.ToString(CultureInfo.InvariantCulture);
            url = string.Concat("https://www.nexmark.com/", NextString(ref random, 5, '_'), "/", NextString(ref random, 5, '_'),
                "/item.htm?query=1&channel_id=", channelNumber.ToString(CultureInfo.InvariantCulture));
        }
        var extra = NextExtra(ref random, 8 + 8 + 8 + 8, _config.AvgBidByteSize);
        return new Bid(auction, bidder, price, channel, url, time, extra);
    }

    /// <summary>Log-uniform price in cents between $1 and $1,000,000 (Flink: PriceGenerator).</summary>
    private static long NextPrice(ref NexmarkRandom random) =>
        (long)Math.Round(Math.Pow(10.0, random.NextDouble() * 6.0) * 100.0, MidpointRounding.AwayFromZero);

    /// <summary>An auction length averaging the event-time span in which NumInFlightAuctions new auctions appear.</summary>
    private long NextAuctionLengthMs(long n, ref NexmarkRandom random, long time)
    {
        var horizonMs = TimestampOf(n + _auctionHorizonEvents) - time;
        return 1 + random.NextLong(Math.Max(horizonMs * 2, 1));
    }

    /// <summary>3 to <paramref name="maxLength"/> − 1 lowercase letters, about one in 13 replaced by <paramref name="special"/>.</summary>
    private static string NextString(ref NexmarkRandom random, int maxLength, char special = ' ')
    {
        var length = MinStringLength + random.NextInt(maxLength - MinStringLength);
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++)
            chars[i] = random.NextInt(13) == 0 ? special : (char)('a' + random.NextInt(26));
        return new string(chars);
    }

    private static string NextExactString(ref NexmarkRandom random, int length)
    {
        if (length == 0) return string.Empty;
        Span<char> chars = length <= 1024 ? stackalloc char[length] : new char[length];
        for (var i = 0; i < chars.Length; i++) chars[i] = (char)('a' + random.NextInt(26));
        return new string(chars);
    }

    private static string NextEmail(ref NexmarkRandom random) =>
        string.Concat(NextString(ref random, 7), "@", NextString(ref random, 5), ".com");

    private static string NextCreditCard(ref NexmarkRandom random)
    {
        Span<char> chars = stackalloc char[19];
        for (var group = 0; group < 4; group++)
        {
            var digits = random.NextInt(10_000);
            var at = group * 5;
            for (var d = 3; d >= 0; d--)
            {
                chars[at + d] = (char)('0' + digits % 10);
                digits /= 10;
            }
            if (group < 3) chars[at + 4] = ' ';
        }
        return new string(chars);
    }

    /// <summary>Padding so that records average <paramref name="desiredAverageSize"/> (±20 %) (Flink: nextExtra).</summary>
    private static string NextExtra(ref NexmarkRandom random, int currentSize, int desiredAverageSize)
    {
        if (currentSize > desiredAverageSize) return string.Empty;
        var remaining = desiredAverageSize - currentSize;
        var delta = (int)Math.Round(remaining * 0.2, MidpointRounding.AwayFromZero);
        var size = remaining - delta + (delta == 0 ? 0 : random.NextInt(2 * delta));
        return NextExactString(ref random, size);
    }
}
