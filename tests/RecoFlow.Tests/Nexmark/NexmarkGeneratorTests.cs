using MessagePack;
using RecoFlow.Jobs.Nexmark;

namespace RecoFlow.Tests.Nexmark;

public sealed class NexmarkGeneratorTests
{
    private static readonly NexmarkGenerator Generator = new(new NexmarkConfig { Seed = 7 });

    [Fact]
    public void Generate_is_a_pure_function_of_config_and_event_number()
    {
        var forward = Generator.GenerateRange(0, 5_000);
        var other = new NexmarkGenerator(new NexmarkConfig { Seed = 7 });
        for (var n = 4_999; n >= 0; n--) Assert.Equal(forward[n], other.Generate(n));
        // Interleaved as two source splits would generate them: the same events.
        for (var n = 1; n < 5_000; n += 2) Assert.Equal(forward[n], Generator.Generate(n));
    }

    [Fact]
    public void Different_seeds_give_different_events_with_the_same_ids_and_times()
    {
        var a = Generator.GenerateRange(0, 1_000);
        var b = new NexmarkGenerator(new NexmarkConfig { Seed = 8 }).GenerateRange(0, 1_000);
        var differing = 0;
        for (var i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Kind, b[i].Kind);
            Assert.Equal(a[i].DateTime, b[i].DateTime);
            if (a[i] != b[i]) differing++;
        }
        Assert.True(differing > 990, $"only {differing} of 1000 events differ between seeds");
    }

    [Fact]
    public void Proportions_are_exactly_1_3_46_per_50_events_in_order()
    {
        const int epochs = 2_000;
        var events = Generator.GenerateRange(0, epochs * 50);
        int persons = 0, auctions = 0, bids = 0;
        for (var i = 0; i < events.Length; i++)
        {
            var offset = i % 50;
            var expected = offset == 0 ? EventKind.Person : offset <= 3 ? EventKind.Auction : EventKind.Bid;
            Assert.Equal(expected, events[i].Kind);
            Assert.Equal(expected, NexmarkGenerator.KindOf(i));
            switch (events[i].Kind)
            {
                case EventKind.Person: persons++; Assert.NotNull(events[i].Person); Assert.Null(events[i].Auction); Assert.Null(events[i].Bid); break;
                case EventKind.Auction: auctions++; Assert.NotNull(events[i].Auction); Assert.Null(events[i].Person); Assert.Null(events[i].Bid); break;
                default: bids++; Assert.NotNull(events[i].Bid); Assert.Null(events[i].Person); Assert.Null(events[i].Auction); break;
            }
        }
        Assert.Equal((epochs, 3 * epochs, 46 * epochs), (persons, auctions, bids));
    }

    [Fact]
    public void Ids_are_sequential_and_references_point_to_recent_persons_and_auctions()
    {
        var events = Generator.GenerateRange(0, 100_000);
        long nextPerson = NexmarkGenerator.FirstPersonId, nextAuction = NexmarkGenerator.FirstAuctionId;
        long hotAuctionBids = 0, hotBidderBids = 0, bids = 0;
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case EventKind.Person:
                    Assert.Equal(nextPerson++, e.Person!.Id);
                    break;
                case EventKind.Auction:
                    var a = e.Auction!;
                    Assert.Equal(nextAuction++, a.Id);
                    // Sellers: among the last 1000 persons or up to 10 ahead (Flink's PERSON_ID_LEAD).
                    Assert.InRange(a.Seller, Math.Max(NexmarkGenerator.FirstPersonId, nextPerson - 1000), nextPerson - 1 + 10);
                    Assert.True(a.Expires > a.DateTime);
                    Assert.True(a.Reserve > a.InitialBid);
                    Assert.InRange(a.Category, 10, 14);
                    break;
                default:
                    var b = e.Bid!;
                    bids++;
                    Assert.InRange(b.Auction, Math.Max(NexmarkGenerator.FirstAuctionId, nextAuction - 1 - 100), nextAuction - 1 + 10);
                    Assert.InRange(b.Bidder, Math.Max(NexmarkGenerator.FirstPersonId, nextPerson - 1000), nextPerson - 1 + 10);
                    Assert.InRange(b.Price, 100, 100_000_000);
                    var lastAuction = nextAuction - 1 - NexmarkGenerator.FirstAuctionId;
                    if (b.Auction - NexmarkGenerator.FirstAuctionId == lastAuction / 100 * 100) hotAuctionBids++;
                    var lastPerson = nextPerson - 1 - NexmarkGenerator.FirstPersonId;
                    if (b.Bidder - NexmarkGenerator.FirstPersonId == lastPerson / 100 * 100 + 1) hotBidderBids++;
                    break;
            }
        }
        // Hot auctions take half the bids (hotAuctionRatio 2), hot bidders three quarters (hotBiddersRatio 4), plus chance hits.
        Assert.InRange((double)hotAuctionBids / bids, 0.48, 0.56);
        Assert.InRange((double)hotBidderBids / bids, 0.73, 0.78);
    }

    [Theory]
    [InlineData(10_000L)]
    [InlineData(1_000L)]
    [InlineData(3L)]
    public void Event_time_advances_at_the_configured_rate_from_the_base_time(long rate)
    {
        var generator = new NexmarkGenerator(new NexmarkConfig { EventsPerSecond = rate });
        var previous = long.MinValue;
        for (long n = 0; n < 20_000; n++)
        {
            var t = generator.Generate(n).DateTime;
            Assert.Equal(NexmarkConfig.DefaultBaseTime + n * 1000 / rate, t);
            Assert.True(t >= previous);
            previous = t;
        }
        // Far out (n·1000 near overflow) the time is still exactly ⌊n·1000/rate⌋.
        const long far = 9_000_000_000_000_000L;
        Assert.Equal(NexmarkConfig.DefaultBaseTime + (long)((Int128)far * 1000 / rate), generator.TimestampOf(far));
    }

    [Fact]
    public void Records_pad_to_their_average_sizes()
    {
        var events = Generator.GenerateRange(0, 50_000);
        double personSize = 0, auctionSize = 0, bidSize = 0;
        int persons = 0, auctions = 0, bids = 0;
        foreach (var e in events)
        {
            if (e.Person is { } p) { persons++; personSize += 8 + p.Name.Length + p.EmailAddress.Length + p.CreditCard.Length + p.City.Length + p.State.Length + p.Extra.Length; }
            if (e.Auction is { } a) { auctions++; auctionSize += 48 + a.ItemName.Length + a.Description.Length + a.Extra.Length; }
            if (e.Bid is { } b) { bids++; bidSize += 32 + b.Extra.Length; }
        }
        Assert.InRange(personSize / persons, 190, 210);
        Assert.InRange(auctionSize / auctions, 480, 520);
        Assert.InRange(bidSize / bids, 95, 105);
    }

    [Fact]
    public void Events_round_trip_through_MessagePack()
    {
        var events = Generator.GenerateRange(0, 50);
        var bytes = MessagePackSerializer.Serialize(events);
        var back = MessagePackSerializer.Deserialize<Event[]>(bytes);
        Assert.Equal(events, back);
        Assert.Equal(EventKind.Person, back[0].Kind);
        Assert.Equal(EventKind.Auction, back[1].Kind);
        Assert.Equal(EventKind.Bid, back[49].Kind);
    }

    [Fact]
    public void An_event_must_carry_exactly_the_payload_of_its_kind()
    {
        var bid = Generator.Generate(10).Bid!;
        Assert.Throws<ArgumentException>(() => new Event(EventKind.Person, null, null, bid));
        Assert.Throws<ArgumentException>(() => new Event(EventKind.Bid, Generator.Generate(0).Person, null, bid));
        Assert.Throws<ArgumentException>(() => new Event(EventKind.Bid, null, null, null));
        Assert.Equal(bid.DateTime, new Event(bid).DateTime);
    }
}
