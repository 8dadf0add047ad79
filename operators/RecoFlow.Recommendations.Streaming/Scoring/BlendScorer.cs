using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The base score of every item of a <see cref="ModelStore"/> for one user: the blend
/// w_mf·p_u·q_i + w_co·co(i)/max co + w_pop·pop(i)/max pop + w_cat·cat(i)/max cat over items with positive popularity
/// (−∞ otherwise), co(i) = Σ_j decay^j·w(seed_j, i)/√pop(i) over the user's recent positives, cat(i) the mean affinity
/// of i's categories; the user's positives (and, with <see cref="ScoringOptions.ExcludeSeen"/>, every seen item) are
/// excluded with −∞.
/// <para>Owns the score and co-visitation buffers, grown to the store and reused from list to list: one instance per
/// scoring subtask (created in <see cref="ScoringFunction.Open"/>), never shared. After <see cref="Score"/>, until the
/// next call, <see cref="Scores"/> holds the list's scores and <see cref="Parts"/> gives the weighted parts of an item
/// that the re-scorers take as features.</para>
/// </summary>
public sealed class BlendScorer(ScoringOptions options, IReadOnlyList<int[]> categories)
{
    private float[] _score = [];
    private float[] _co = [];
    private int _count;
    // The normalisers of the last call, kept for Parts: they make the parts exactly the terms the blend added.
    private float _wPop;
    private float _coFactor;
    private double _catFactor;
    private double[] _affinity = [];
    private float[]? _userFactors;

    /// <summary>The scores of the last <see cref="Score"/>, by store index.</summary>
    public Span<float> Scores => _score.AsSpan(0, _count);

    /// <summary>
    /// Scores every item of <paramref name="store"/> (which must hold at least one item and whose categories are
    /// known, <paramref name="categories"/> covering every index) for the user. Returns the item count.
    /// </summary>
    public int Score(ModelStore store, UserScoringState st, UserFeatures features)
    {
        int n = store.Count;
        if (_score.Length < n)
        {
            _score = new float[Math.Max(n, _score.Length * 2)];
            _co = new float[_score.Length];
        }
        _count = n;

        Span<float> s = _score.AsSpan(0, n);
        double maxPop = 0;
        for (int i = 0; i < n; i++) maxPop = Math.Max(maxPop, store.Popularity[i]);
        float wPop = maxPop > 0 ? (float)(options.WeightPopularity / maxPop) : 0;
        for (int i = 0; i < n; i++) s[i] = store.Popularity[i] > 0 ? (float)(wPop * store.Popularity[i]) : float.NegativeInfinity;
        _wPop = wPop;

        if (options.WeightMf != 0 && st.Factors is { } p && p.Length == store.Factors)
        {
            for (int i = 0; i < n; i++)
            {
                if (store.ItemFactors[i] is not { } q) continue;
                float dot = 0;
                for (int f = 0; f < p.Length; f++) dot += p[f] * q[f];
                s[i] += options.WeightMf * dot;
            }
        }
        // The re-scorers' MF part is the dot product whatever the MF weight (unlike the blend, which skips it at 0).
        _userFactors = st.Factors is { Length: > 0 } sf && sf.Length == store.Factors ? sf : null;

        _coFactor = CoVisitation(store, features, s);

        _affinity = features.CategoryAffinity;
        double maxAff = _affinity.Length == 0 ? 0 : _affinity.Max();
        _catFactor = options.WeightCategory != 0 && maxAff > 0 ? options.WeightCategory / maxAff : 0;
        if (_catFactor > 0)
            for (int i = 0; i < n; i++) s[i] += CategoryPart(i);

        foreach (var x in st.Positives) if (store.IndexOf(x) is var xi and >= 0) s[xi] = float.NegativeInfinity;
        if (options.ExcludeSeen)
            foreach (var x in st.Seen) if (store.IndexOf(x) is var xi and >= 0) s[xi] = float.NegativeInfinity;
        return n;
    }

    /// <summary>
    /// Adds the co-visitation part to <paramref name="s"/>; returns its factor w_co/max co (0 when it added nothing,
    /// in which case the co-visitation buffer holds nothing of this list).
    /// </summary>
    private float CoVisitation(ModelStore store, UserFeatures features, Span<float> s)
    {
        if (options.WeightCoVisitation == 0 || features.RecentPositives.Length == 0) return 0;
        int n = s.Length;
        Span<float> co = _co.AsSpan(0, n);
        co.Clear();
        double w = 1;
        foreach (var seed in features.RecentPositives)
        {
            int si = store.IndexOf(seed);
            if (si >= 0)
            {
                int[] ids = store.NeighbourIndex[si];
                double[] ws = store.NeighbourWeights[si];
                for (int t = 0; t < ids.Length; t++)
                {
                    double pop = store.Popularity[ids[t]];
                    if (pop > 0) co[ids[t]] += (float)(w * ws[t] / Math.Sqrt(pop));
                }
            }
            w *= options.RecencyDecay;
        }
        float maxCo = 0;
        for (int i = 0; i < n; i++) maxCo = Math.Max(maxCo, co[i]);
        if (!(maxCo > 0)) return 0; // NaN included, as a maximum that is not positive
        float factor = options.WeightCoVisitation / maxCo;
        for (int i = 0; i < n; i++) s[i] += factor * co[i];
        return factor;
    }

    /// <summary>The category part of item <paramref name="i"/> in the last <see cref="Score"/> (before the check that it is used).</summary>
    private float CategoryPart(int i)
    {
        int[] cats = categories[i];
        if (cats.Length == 0) return 0;
        double sum = 0;
        foreach (int c in cats) if (c < _affinity.Length) sum += _affinity[c];
        return (float)(_catFactor * sum / cats.Length);
    }

    /// <summary>
    /// Item <paramref name="i"/> of the last <see cref="Score"/> as a re-scoring candidate at
    /// <paramref name="baseRank"/>: each part weighted and normalised as the blend added it.
    /// </summary>
    public Candidate Parts(ModelStore store, int i, int baseRank)
    {
        float mf = 0;
        if (_userFactors is { } uf && store.ItemFactors[i] is { } q)
            for (int t = 0; t < uf.Length; t++) mf += uf[t] * q[t];
        return new Candidate(i, baseRank, options.WeightMf * mf, _coFactor * (_coFactor > 0 ? _co[i] : 0), (float)(_wPop * store.Popularity[i]), _catFactor > 0 ? CategoryPart(i) : 0);
    }
}
