using System.Globalization;
using RecoFlow.Recommendations.Events;

namespace RecoFlow.Bench;

/// <summary>
/// A deterministic synthetic interaction log for the catalogue-scaling rows of the reco bench. The catalogue is cut
/// into topics of <see cref="TopicSize"/> consecutive items; topics are drawn Zipf-like (topic 0 the most popular) and
/// so are the items within a topic, which gives a Zipf-like item popularity over the whole catalogue. Every user has a
/// home topic; a session (2 to 12 events) stays in one topic (the home topic with probability 0.6, otherwise a
/// popular one), so items of a topic are visited together and co-visitation exists. <see cref="ConcurrentSessions"/>
/// sessions are open at once and events are drawn from them at random, so users interleave; event time advances by
/// 0–1.7 s per event (about 10 days for 1,000,000 events), in order. Types: 60 % view, 30 % click, 6 % add-to-cart,
/// 4 % purchase (click, cart and purchase are positive). Items belong to one of <see cref="Categories"/> categories
/// (topic modulo that), which the catalogue returned with the log carries.
/// </summary>
internal static class SyntheticInteractions
{
    public const int TopicSize = 50;
    public const int Categories = 40;
    public const int ConcurrentSessions = 256;
    private const long StartMs = 1_700_000_000_000;

    /// <summary>The log and its catalogue; the same arguments give the same log.</summary>
    public static (Interaction[] Events, ItemCatalog Catalog) Generate(int events, int items, int users, int seed = 15)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, TopicSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        var rng = new Random(seed);
        int topics = items / TopicSize;
        var topicZipf = new ZipfSampler(topics, 1.0);
        var itemZipf = new ZipfSampler(TopicSize, 1.0);
        var itemIds = new string[topics * TopicSize];
        var catalog = new ItemCatalog();
        for (int i = 0; i < itemIds.Length; i++)
        {
            itemIds[i] = "i" + i.ToString(CultureInfo.InvariantCulture);
            catalog.Add(new CatalogItem(itemIds[i], itemIds[i], ["c" + (i / TopicSize % Categories).ToString(CultureInfo.InvariantCulture)]));
        }
        var userIds = new string[users];
        var home = new int[users];
        for (int u = 0; u < users; u++)
        {
            userIds[u] = "u" + u.ToString(CultureInfo.InvariantCulture);
            home[u] = topicZipf.Sample(rng);
        }

        var open = new Session[ConcurrentSessions];
        for (int s = 0; s < open.Length; s++) open[s] = NewSession(rng, users, home, topicZipf);
        var log = new Interaction[events];
        long t = StartMs;
        for (int e = 0; e < events; e++)
        {
            int s = rng.Next(open.Length);
            ref var session = ref open[s];
            int item = session.Topic * TopicSize + itemZipf.Sample(rng);
            double r = rng.NextDouble();
            var type = r < 0.60 ? InteractionType.View : r < 0.90 ? InteractionType.Click : r < 0.96 ? InteractionType.AddToCart : InteractionType.Purchase;
            t += rng.Next(0, 1700);
            log[e] = new Interaction("s" + e.ToString(CultureInfo.InvariantCulture), userIds[session.User], itemIds[item], type, null, t,
                InteractionContext.Empty, Consent.Granted);
            if (--session.Left == 0) session = NewSession(rng, users, home, topicZipf);
        }
        return (log, catalog);
    }

    private static Session NewSession(Random rng, int users, int[] home, ZipfSampler topics)
    {
        int user = rng.Next(users);
        int topic = rng.NextDouble() < 0.6 ? home[user] : topics.Sample(rng);
        return new Session { User = user, Topic = topic, Left = 2 + rng.Next(11) };
    }

    private struct Session
    {
        public int User;
        public int Topic;
        public int Left;
    }

    /// <summary>Draws 0..n-1 with probability proportional to 1/(rank+1)^s, by binary search over the cumulative weights.</summary>
    private sealed class ZipfSampler
    {
        private readonly double[] _cumulative;

        public ZipfSampler(int n, double s)
        {
            _cumulative = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += 1 / Math.Pow(i + 1, s);
                _cumulative[i] = sum;
            }
        }

        public int Sample(Random rng)
        {
            double x = rng.NextDouble() * _cumulative[^1];
            int at = Array.BinarySearch(_cumulative, x);
            return Math.Min(at >= 0 ? at : ~at, _cumulative.Length - 1);
        }
    }
}
