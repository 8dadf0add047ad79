using System.Collections;
using System.Globalization;
using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Events;

namespace RecoFlow.Bench;

/// <summary>
/// A synthetic interaction log of a shop whose visitors come and go, generated on demand from the event's index (so
/// two million events take no memory until read, and the same index always gives the same event). Sessions of
/// <see cref="SessionLength"/> events, <see cref="OpenSessions"/> open at once and interleaved, each in one topic of
/// <see cref="TopicSize"/> items (the user's home topic or a popular one, Zipf-like, as in
/// <see cref="SyntheticInteractions"/>). The user of session <c>n</c> is drawn from the <see cref="ActiveUsers"/> ids
/// starting at <c>n</c> / <see cref="ArrivalEverySessions"/>: one new visitor arrives every four sessions and each
/// comes back for about four sessions over some two weeks of event time (with two million events), so the number of
/// distinct users grows with the log while the number active at any time stays the same. Event time spans <see cref="Span"/> whatever
/// the length, in order; 60 % views, the rest positive.
/// </summary>
internal sealed class OpenPopulationLog : IReadOnlyList<Interaction>
{
    public const int SessionLength = 8, OpenSessions = 256, TopicSize = 50, ActiveUsers = 10_000, ArrivalEverySessions = 4, Categories = 40;
    public static readonly TimeSpan Span = TimeSpan.FromDays(92);
    private const long StartMs = 1_700_000_000_000;

    private readonly int _count;
    private readonly int _topics;
    private readonly double[] _topicCdf, _itemCdf;
    private readonly long _stepMs;

    public OpenPopulationLog(int events, int items)
    {
        _count = events;
        _topics = items / TopicSize;
        _topicCdf = ZipfCdf(_topics);
        _itemCdf = ZipfCdf(TopicSize);
        _stepMs = Math.Max(1, (long)Span.TotalMilliseconds / Math.Max(1, events));
        Catalog = new ItemCatalog();
        for (int i = 0; i < _topics * TopicSize; i++)
            Catalog.Add(new CatalogItem(ItemId(i), ItemId(i), ["c" + (i / TopicSize % Categories).ToString(CultureInfo.InvariantCulture)]));
    }

    public ItemCatalog Catalog { get; }
    public int Count => _count;

    /// <summary>How many distinct users the first <paramref name="events"/> events hold at most.</summary>
    public static long DistinctUsersAtMost(long events) => events / SessionLength / ArrivalEverySessions + ActiveUsers;

    public Interaction this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            int slot = index % OpenSessions, round = index / OpenSessions;
            long session = (long)(round / SessionLength) * OpenSessions + slot;
            var sessionRng = new SplitMix64((ulong)session * 0x9E3779B97F4A7C15UL + 15);
            long user = session / ArrivalEverySessions + sessionRng.NextInt(ActiveUsers);
            var userRng = new SplitMix64((ulong)user * 0xBF58476D1CE4E5B9UL + 7);
            int home = Sample(_topicCdf, userRng.NextDouble());
            int topic = sessionRng.NextDouble() < 0.6 ? home : Sample(_topicCdf, sessionRng.NextDouble());
            var rng = new SplitMix64((ulong)index * 0x94D049BB133111EBUL + 3);
            int item = topic * TopicSize + Sample(_itemCdf, rng.NextDouble());
            double r = rng.NextDouble();
            var type = r < 0.60 ? InteractionType.View : r < 0.90 ? InteractionType.Click : r < 0.96 ? InteractionType.AddToCart : InteractionType.Purchase;
            return new Interaction("s" + index.ToString(CultureInfo.InvariantCulture), "u" + user.ToString(CultureInfo.InvariantCulture), ItemId(item), type, null,
                StartMs + index * _stepMs, InteractionContext.Empty, Consent.Granted);
        }
    }

    public IEnumerator<Interaction> GetEnumerator()
    {
        for (int i = 0; i < _count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static string ItemId(int i) => "i" + i.ToString(CultureInfo.InvariantCulture);

    private static double[] ZipfCdf(int n)
    {
        var cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) cdf[i] = sum += 1.0 / (i + 1);
        for (int i = 0; i < n; i++) cdf[i] /= sum;
        return cdf;
    }

    private static int Sample(double[] cdf, double u)
    {
        int at = Array.BinarySearch(cdf, u);
        return Math.Min(at >= 0 ? at : ~at, cdf.Length - 1);
    }
}
