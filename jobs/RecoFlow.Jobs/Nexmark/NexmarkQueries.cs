using System.Runtime.InteropServices;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// The Nexmark queries as plain loops over an in-memory event array, with no engine: the independent computation the
/// tests compare the jobs with, and the upper bound for benchmarks. Each returns the same set of results as the job
/// of the same number (in no particular order). Windows are aligned to the epoch, like the engine's.
/// </summary>
public static class NexmarkQueries
{
    /// <summary>Query 0: every bid.</summary>
    public static List<Bid> Q0(Event[] events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var results = new List<Bid>();
        for (var i = 0; i < events.Length; i++)
            if (events[i].Bid is { } b) results.Add(b);
        return results;
    }

    /// <summary>Query 1: every bid with price × <see cref="Q1CurrencyConversion.DollarToEuro"/>.</summary>
    public static List<Q1Result> Q1(Event[] events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var results = new List<Q1Result>();
        for (var i = 0; i < events.Length; i++)
            if (events[i].Bid is { } b) results.Add(new Q1Result(b.Auction, b.Bidder, Q1CurrencyConversion.DollarToEuro * b.Price, b.DateTime, b.Extra));
        return results;
    }

    /// <summary>Query 2: (auction, price) of the bids whose auction is a multiple of <paramref name="auctionModulo"/>.</summary>
    public static List<Q2Result> Q2(Event[] events, long auctionModulo = 123)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfLessThan(auctionModulo, 1);
        var results = new List<Q2Result>();
        for (var i = 0; i < events.Length; i++)
            if (events[i].Bid is { } b && b.Auction % auctionModulo == 0) results.Add(new Q2Result(b.Auction, b.Price));
        return results;
    }

    /// <summary>Query 5: per sliding window, the auction(s) with the most bids.</summary>
    public static List<Q5Result> Q5(Event[] events, long sizeMillis = 10_000, long slideMillis = 2_000)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeMillis, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slideMillis, 1);
        var counts = new Dictionary<(long Auction, long Start), long>();
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i].Bid is not { } b) continue;
            for (var start = FloorTo(b.DateTime, slideMillis); start > b.DateTime - sizeMillis; start -= slideMillis)
                CollectionsMarshal.GetValueRefOrAddDefault(counts, (b.Auction, start), out _)++;
        }
        var maxima = new Dictionary<long, long>();
        foreach (var ((_, start), n) in counts)
        {
            ref var max = ref CollectionsMarshal.GetValueRefOrAddDefault(maxima, start, out var exists);
            if (!exists || n > max) max = n;
        }
        var results = new List<Q5Result>();
        foreach (var ((auction, start), n) in counts)
            if (n == maxima[start]) results.Add(new Q5Result(auction, n, start, start + sizeMillis));
        return results;
    }

    /// <summary>Query 7: per tumbling window, the bid(s) with the highest price.</summary>
    public static List<Q7Result> Q7(Event[] events, long windowMillis = 10_000)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowMillis, 1);
        var maxima = new Dictionary<long, long>();
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i].Bid is not { } b) continue;
            ref var max = ref CollectionsMarshal.GetValueRefOrAddDefault(maxima, FloorTo(b.DateTime, windowMillis), out var exists);
            if (!exists || b.Price > max) max = b.Price;
        }
        var results = new List<Q7Result>();
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i].Bid is not { } b) continue;
            var start = FloorTo(b.DateTime, windowMillis);
            if (b.Price == maxima[start]) results.Add(new Q7Result(b.Auction, b.Price, b.Bidder, b.DateTime, b.Extra, start + windowMillis));
        }
        return results;
    }

    /// <summary>Query 8: persons who opened an auction in the tumbling window in which they registered.</summary>
    public static List<Q8Result> Q8(Event[] events, long windowMillis = 10_000)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowMillis, 1);
        var registered = new Dictionary<(long Id, long Start), string>();
        for (var i = 0; i < events.Length; i++)
            if (events[i].Person is { } p) registered[(p.Id, FloorTo(p.DateTime, windowMillis))] = p.Name;
        var emitted = new HashSet<(long Id, long Start)>();
        var results = new List<Q8Result>();
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i].Auction is not { } a) continue;
            var key = (a.Seller, FloorTo(a.DateTime, windowMillis));
            if (registered.TryGetValue(key, out var name) && emitted.Add(key)) results.Add(new Q8Result(key.Seller, name, key.Item2));
        }
        return results;
    }

    /// <summary>The largest multiple of <paramref name="size"/> not above <paramref name="time"/> (floor, also for negative times).</summary>
    private static long FloorTo(long time, long size)
    {
        var r = time % size;
        return r < 0 ? time - r - size : time - r;
    }
}
