using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// Turns the scored candidates (<see cref="Candidates"/>, scored by the learned blend) into a user's top-K, in order: the candidate pool (the top
/// <see cref="ScoringOptions.DppCandidates"/>, or with <see cref="DppPool.Genre"/> those plus the best
/// <see cref="ScoringOptions.DppPerGenre"/> of each category, <see cref="CandidatePool"/>), re-scoring
/// (<see cref="PoolRescorer"/>), calibrated relevance (<see cref="HitCalibrator"/>), DPP re-ranking and serendipity
/// injection. With none of these the top-K of the blend is the list.
/// <para>Owns the genre pool buffer: one instance per scoring subtask (created in <see cref="ScoringFunction.Open"/>),
/// never shared.</para>
/// </summary>
public sealed class ListBuilder
{
    private readonly ScoringOptions _o;
    private readonly IReadOnlyList<int[]> _categories;
    private readonly ItemCatalog _catalog;
    private readonly PoolRescorer _rescoring;
    private readonly HitCalibrator? _calibrator;
    private readonly DppReranker? _dpp;
    private readonly IItemSimilarity _similarity;
    private readonly SerendipityInjector? _serendipity;
    private readonly List<int> _genrePool = [];
    private readonly CategoryJaccardSimilarity _audit;

    /// <param name="categories">The categories of the store's items by index, kept up to date by the caller.</param>
    /// <param name="catalog">Its category count bounds the genre pool.</param>
    /// <param name="calibrator">With <see cref="DppRelevance.Calibrated"/> and a DPP: the subtask's calibrator, bound to its state by the caller.</param>
    public ListBuilder(ScoringOptions options, IReadOnlyList<int[]> categories, ItemCatalog catalog, PoolRescorer rescoring, HitCalibrator? calibrator)
    {
        _o = options;
        _categories = categories;
        _catalog = catalog;
        _rescoring = rescoring;
        _calibrator = calibrator;
        _similarity = DppSimilarity.Create(options.DppKernel, categories, options.DppShrink);
        _audit = new CategoryJaccardSimilarity(categories);
        _dpp = UsesDpp(options) ? new DppReranker(options.DppTheta ?? options.Diversity!.InitialTheta, relevance: options.DppRelevance, objective: options.DppObjective) : null;
        _serendipity = options.SerendipityShare > 0 ? new SerendipityInjector(options.SerendipityShare) : null;
    }

    /// <summary>True when the options turn DPP re-ranking on (θ below 1, or a diversity loop that moves θ).</summary>
    public static bool UsesDpp(ScoringOptions options) => options.DppTheta is double t && t < 1 || options.Diversity is not null;

    /// <summary>
    /// Writes the user's list (store indices, best first) into <paramref name="chosen"/> (K = its length) from the
    /// scored <paramref name="candidates"/>; returns its length.
    /// </summary>
    /// <param name="rescorer">The re-scorers' state, or null when there is no re-scoring.</param>
    /// <param name="serve">False when the list is only recomputed (not served): the calibrator keeps nothing for it.</param>
    /// <param name="theta">The DPP's θ for this list (the diversity loop's), or null for the configured one.</param>
    public int Build(Candidates candidates, ModelStore store, RescorerState? rescorer, UserScoringState st, UserFeatures features, UserEvent e, bool serve, Span<int> chosen, double? theta = null)
    {
        int k = chosen.Length;
        if (_dpp is null && _serendipity is null && rescorer is null)
        {
            int got0 = candidates.Top(chosen);
            for (int j = 0; j < got0; j++) chosen[j] = candidates.Items[chosen[j]];
            return got0;
        }

        int[] pool;
        int m;
        if (_dpp is not null && _o.DppPool == DppPool.Genre)
        {
            m = CandidatePool.Build(candidates.Scores, Math.Max(k, _o.DppCandidates), new SlotCategories(candidates, _categories), _catalog.CategoryNames.Count, _o.DppPerGenre, _genrePool);
            pool = [.. _genrePool];
        }
        else
        {
            pool = new int[Math.Max(k, _o.DppCandidates)];
            m = candidates.Top(pool);
        }
        var ranked = pool.AsSpan(0, m);
        var rel = new float[m];
        var scores = candidates.Scores;
        // The calibrator weighs, for itself, the blend's inputs of each pooled candidate and the blend's log-probability
        // (log-softmax of its score over all the list's candidates, / 5 to the scale of the other features); re-scoring,
        // which may reorder the pool, is never combined with it.
        float[]? candidateFeatures = _calibrator is not null && rescorer is null ? new float[m * CalibratorFeatures] : null;
        float logZ = candidateFeatures is not null ? LogSumExp(scores) : 0;
        for (int j = 0; j < m; j++)
        {
            rel[j] = scores[ranked[j]];
            if (candidateFeatures is not null)
            {
                candidates.Row(ranked[j]).CopyTo(candidateFeatures.AsSpan(j * CalibratorFeatures, Candidates.F));
                float logP = scores[ranked[j]] - logZ;   // at most 0; a score of −∞ (no chance) is held at −50
                candidateFeatures[j * CalibratorFeatures + Candidates.F] = float.IsFinite(logP) ? Math.Max(logP, -50f) / 5 : -10f;
            }
            ranked[j] = candidates.Items[ranked[j]];
        }
        if (rescorer is not null) _rescoring.Rescore(rescorer, candidates, store, ranked, rel, e);
        if (_calibrator is not null && st.Calibration is { } cal)
        {
            var probability = new double[m];
            _calibrator.Predict(cal, e.TimestampMs, ranked, rel, candidateFeatures, candidateFeatures is null ? 0 : CalibratorFeatures, probability, keep: serve);
            for (int j = 0; j < m; j++) rel[j] = (float)(100 * probability[j]);
        }
        if (_dpp is not null)
        {
            var reranked = new int[m];
            int r = _dpp.Rerank(ranked, rel, _similarity, reranked, theta ?? _dpp.Theta);
            ranked = reranked.AsSpan(0, r);
        }
        if (_serendipity is not null)
        {
            var usual = SerendipityInjector.UsualCategories(features.CategoryAffinity, 3);
            return _serendipity.Inject(ranked, _categories, usual, chosen);
        }
        int got = Math.Min(k, ranked.Length);
        ranked[..got].CopyTo(chosen);
        return got;
    }

    /// <summary>Candidate features the calibrator gets per pooled candidate: the blend's inputs and its log-probability.</summary>
    private const int CalibratorFeatures = Candidates.F + 1;

    /// <summary>ln Σ e^s over the finite scores (−∞ when there are none).</summary>
    private static float LogSumExp(ReadOnlySpan<float> scores)
    {
        float max = float.NegativeInfinity;
        foreach (float v in scores) if (v > max) max = v;
        if (float.IsNegativeInfinity(max)) return max;
        double z = 0;
        foreach (float v in scores) if (v > float.NegativeInfinity) z += Math.Exp(v - max);
        return max + (float)Math.Log(z);
    }

    /// <summary>The intra-list diversity of a list of store indices, as the diversity audit measures it (category Jaccard).</summary>
    public double Diversity(ReadOnlySpan<int> list) => DiversityAudit.ListDiversity(list, _audit);

    /// <summary>The categories of the candidates by slot (the genre pool works on slots).</summary>
    private sealed class SlotCategories(Candidates candidates, IReadOnlyList<int[]> categories) : IReadOnlyList<int[]>
    {
        public int[] this[int index] => candidates.Items[index] < categories.Count ? categories[candidates.Items[index]] : [];
        public int Count => candidates.Count;
        public IEnumerator<int[]> GetEnumerator()
        {
            for (int j = 0; j < Count; j++) yield return this[j];
        }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
