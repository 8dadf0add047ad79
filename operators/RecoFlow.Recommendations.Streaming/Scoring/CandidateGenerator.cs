using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// Collects the candidates of a user's list and their <see cref="CandidateFeatures"/>: first the co-visitation
/// neighbours of the user's latest basket and session, then of the user's recent positives (longer-term signal), then
/// the most popular items of the user's strongest categories and overall (<see cref="CandidateIndex"/>). The user's
/// positives (and, with <see cref="ScoringOptions.ExcludeSeen"/>, every item seen) are never candidates. The work is
/// bounded by the seeds' neighbour lists and the index's list lengths, not by the catalogue.
/// </summary>
public sealed class CandidateGenerator
{
    private const int Seeds = 10;
    private readonly ScoringOptions _options;
    private readonly IReadOnlyList<int[]> _categories;
    private readonly int[] _topCategories = new int[2];
    private float[] _sessionShare = new float[64];
    private readonly List<int> _sessionTouched = [];
    private readonly ExclusionMarks _exclusions = new();
    private readonly Func<int, bool> _excluded;

    public CandidateGenerator(ScoringOptions options, IReadOnlyList<int[]> categories)
    {
        _options = options;
        _categories = categories;
        _excluded = _exclusions.IsExcluded;
    }

    /// <summary>Fills <paramref name="c"/> with the candidates of <paramref name="user"/>, features set and normalised; returns their count.</summary>
    public int Collect(ModelStore store, CandidateIndex index, UserScoringState user, UserFeatures features, Candidates c)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(c);
        _exclusions.Bind(store, user, _options.ExcludeSeen);
        c.Reset(store.Count, _excluded);

        // Session-aware first: the latest basket, then the session, then the longer-term recent positives.
        var basket = features.BasketItems;
        for (int j = basket.Length - 1, n = 0; j >= 0 && n < Seeds; j--, n++) Neighbours(store, c, basket[j], CandidateFeatures.CoBasket, 1f, Reach(n));
        var session = features.SessionItems;
        float d = 1;
        for (int j = session.Length - 1, n = 0; j >= 0 && n < Seeds; j--, n++, d *= 0.85f) Neighbours(store, c, session[j], CandidateFeatures.CoSession, d, Reach(n));
        var recent = features.RecentPositives;
        for (int j = 0; j < Math.Min(Seeds, recent.Length); j++) Recent(store, c, recent[j], j, Reach(j));

        int catCount = TopCategories(features.CategoryAffinity);
        for (int t = 0; t < catCount; t++)
        {
            var top = index.OfCategory(_topCategories[t]);
            for (int j = 0; j < Math.Min(top.Length, _options.CategoryCandidates); j++) c.Add(top[j]);
        }
        var popular = index.Popular;
        int want = Math.Max(_options.PopularCandidates, _options.K);
        for (int j = 0; j < popular.Length && (j < want || c.Count < _options.K); j++) c.Add(popular[j]);

        Finish(store, index, user, features, c);
        return c.Count;
    }

    /// <summary>
    /// How many of a seed's neighbours (strongest first) a seed of recency rank <paramref name="rank"/> contributes: more
    /// for the latest few, fewer for older ones, whose weight is discounted anyway. The candidates per list, and so the
    /// cost of a list, are bounded by these and the index's list lengths.
    /// </summary>
    private int Reach(int rank) => rank < 3 ? _options.LatestSeedNeighbours : _options.OlderSeedNeighbours;

    private static void Neighbours(ModelStore store, Candidates c, string seed, int feature, float discount, int reach)
    {
        int si = store.IndexOf(seed);
        if (si < 0) return;
        int[] ids = store.NeighbourIndex[si];
        double[] ws = store.NeighbourWeights[si];
        for (int t = 0; t < Math.Min(ids.Length, reach); t++)
        {
            int slot = c.Add(ids[t]);
            if (slot >= 0) c.Row(slot)[feature] += (float)(discount * ws[t]);
        }
    }

    private static void Recent(ModelStore store, Candidates c, string seed, int rank, int reach)
    {
        int si = store.IndexOf(seed);
        if (si < 0) return;
        int[] ids = store.NeighbourIndex[si];
        double[] ws = store.NeighbourWeights[si];
        float d85 = MathF.Pow(0.85f, rank), d50 = MathF.Pow(0.5f, rank), d97 = MathF.Pow(0.97f, rank);
        for (int t = 0; t < Math.Min(ids.Length, reach); t++)
        {
            int slot = c.Add(ids[t]);
            if (slot < 0) continue;
            var row = c.Row(slot);
            float w = (float)ws[t];
            row[CandidateFeatures.CoRecent] += d85 * w;
            row[CandidateFeatures.CoSharp] += d50 * w;
            row[CandidateFeatures.CoFlat] += d97 * w;
        }
    }

    /// <summary>The per-item features and the per-list normalisation.</summary>
    /// <remarks>Two passes over the candidates: the first sets the per-item features and takes the maximum of each
    /// co-visitation feature and of the recent popularity, the second divides each by its maximum when that is positive (a feature nowhere
    /// positive stays as it is) and adds the saturating form of CoRecent. The store's columns are read as spans.</remarks>
    private void Finish(ModelStore store, CandidateIndex index, UserScoringState user, UserFeatures features, Candidates c)
    {
        var popular = index.Popular;
        var popularity = CollectionsMarshal.AsSpan(store.Popularity);
        var itemFactors = CollectionsMarshal.AsSpan(store.ItemFactors);
        var recentPopularity = CollectionsMarshal.AsSpan(store.RecentPopularity);
        ReadOnlySpan<int[]> categories = _categories is List<int[]> list ? CollectionsMarshal.AsSpan(list) : [.. _categories];
        double popMax = popular.Length > 0 ? popularity[popular[0]] : 0;
        double[] aff = features.CategoryAffinity;
        double affMax = 0;
        foreach (double a in aff) affMax = Math.Max(affMax, a);
        float[]? p = user.Factors is { Length: > 0 } uf && uf.Length == store.Factors ? uf : null;
        bool browsing = SessionCategories(store, features.SessionItems);
        var items = c.Items;
        var x = c.Features;
        const int F = Candidates.F;
        float maxRecent = 0, maxSharp = 0, maxFlat = 0, maxLift = 0, maxSession = 0, maxBasket = 0;
        double maxRecentPop = 0; // in double: relative to its reference the store's value may exceed a float's range
        for (int s = 0; s < items.Length; s++)
        {
            int i = items[s];
            var row = x.Slice(s * F, F);
            double pop = popularity[i];
            if (pop > 0 && popMax > 0)
            {
                double rel = Math.Min(1, pop / popMax);
                row[CandidateFeatures.Popularity] = (float)rel;
                row[CandidateFeatures.LogPopularity] = Math.Max(0f, 1 + FastLog2((float)rel) / 20);
                row[CandidateFeatures.CoLift] = (float)(row[CandidateFeatures.CoRecent] / Math.Sqrt(pop));
            }
            int[]? cats = i < categories.Length ? categories[i] : null;
            if (affMax > 0 && cats is { Length: > 0 })
            {
                double sum = 0;
                foreach (int k in cats) if (k < aff.Length) sum += aff[k];
                row[CandidateFeatures.Category] = (float)(sum / cats.Length / affMax);
            }
            if (p is not null && itemFactors[i] is { } q) row[CandidateFeatures.Factors] = Math.Clamp(TensorPrimitives.Dot(p, q), -4f, 4f);
            if (browsing && cats is not null)
            {
                float share = 0;
                foreach (int k in cats) if (k < _sessionShare.Length) share = Math.Max(share, _sessionShare[k]);
                row[CandidateFeatures.SessionCategory] = share;
            }
            if (i < recentPopularity.Length) maxRecentPop = Math.Max(maxRecentPop, recentPopularity[i]);
            maxRecent = Math.Max(maxRecent, row[CandidateFeatures.CoRecent]);
            maxSharp = Math.Max(maxSharp, row[CandidateFeatures.CoSharp]);
            maxFlat = Math.Max(maxFlat, row[CandidateFeatures.CoFlat]);
            maxLift = Math.Max(maxLift, row[CandidateFeatures.CoLift]);
            maxSession = Math.Max(maxSession, row[CandidateFeatures.CoSession]);
            maxBasket = Math.Max(maxBasket, row[CandidateFeatures.CoBasket]);
        }
        float invRecent = Inverse(maxRecent), invSharp = Inverse(maxSharp), invFlat = Inverse(maxFlat), invLift = Inverse(maxLift),
            invSession = Inverse(maxSession), invBasket = Inverse(maxBasket);
        double invRecentPop = maxRecentPop > 0 ? 1 / maxRecentPop : 0;
        // A saturating form of CoRecent (x·(1 + h)/(x + h), 1 at 1): small values spread out, as a log would, without one.
        const float h = 0.05f;
        for (int s = 0; s < items.Length; s++)
        {
            var row = x.Slice(s * F, F);
            float r = row[CandidateFeatures.CoRecent] *= invRecent;
            row[CandidateFeatures.CoSharp] *= invSharp;
            row[CandidateFeatures.CoFlat] *= invFlat;
            row[CandidateFeatures.CoLift] *= invLift;
            row[CandidateFeatures.CoSession] *= invSession;
            row[CandidateFeatures.CoBasket] *= invBasket;
            int item = items[s];
            if (item < recentPopularity.Length) row[CandidateFeatures.RecentPopularity] = (float)(recentPopularity[item] * invRecentPop);
            row[CandidateFeatures.CoRecentLog] = r * (1 + h) / (r + h);
        }
    }

    /// <summary>1/max for a positive maximum, else 1 (the feature stays as it is).</summary>
    private static float Inverse(float max) => max > 0 ? 1f / max : 1f;

    /// <summary>log₂ of a positive float to within 0.01 (exponent plus a quadratic in the mantissa): a feature, not a measurement.</summary>
    private static float FastLog2(float x)
    {
        int bits = BitConverter.SingleToInt32Bits(x);
        int exponent = ((bits >> 23) & 0xFF) - 127;
        float m = BitConverter.Int32BitsToSingle((bits & 0x007FFFFF) | 0x3F800000) - 1; // mantissa − 1, in [0, 1)
        return exponent + m * (1.3465f - 0.3465f * m);
    }

    /// <summary>
    /// Sets <see cref="_sessionShare"/>[k] to the share of the session's latest items in category k (those of the last
    /// list reset first); false when the session has no item with a known category.
    /// </summary>
    private bool SessionCategories(ModelStore store, string[] session)
    {
        foreach (int k in _sessionTouched) _sessionShare[k] = 0;
        _sessionTouched.Clear();
        int n = Math.Min(session.Length, Seeds);
        if (n == 0) return false;
        float step = 1f / n;
        for (int j = session.Length - n; j < session.Length; j++)
        {
            int i = store.IndexOf(session[j]);
            if (i < 0 || i >= _categories.Count) continue;
            foreach (int k in _categories[i])
            {
                if (k >= _sessionShare.Length) Array.Resize(ref _sessionShare, Math.Max(k + 1, 2 * _sessionShare.Length));
                if (_sessionShare[k] == 0) _sessionTouched.Add(k);
                _sessionShare[k] += step;
            }
        }
        return _sessionTouched.Count > 0;
    }

    /// <summary>The user's strongest categories (positive affinity), best first, into <see cref="_topCategories"/>; returns how many.</summary>
    private int TopCategories(double[] affinity)
    {
        int n = 0;
        for (int k = 0; k < affinity.Length; k++)
        {
            if (!(affinity[k] > 0)) continue;
            if (n < _topCategories.Length) _topCategories[n++] = k;
            else if (affinity[k] > affinity[_topCategories[^1]]) _topCategories[^1] = k;
            else continue;
            for (int j = n - 1; j > 0 && affinity[_topCategories[j]] > affinity[_topCategories[j - 1]]; j--)
                (_topCategories[j], _topCategories[j - 1]) = (_topCategories[j - 1], _topCategories[j]);
        }
        return n;
    }
}
