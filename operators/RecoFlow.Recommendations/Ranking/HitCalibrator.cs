namespace RecoFlow.Recommendations.Ranking;

/// <summary>Settings of <see cref="HitCalibrator"/>.</summary>
/// <param name="LearnRate">SGD step of the logistic regression.</param>
/// <param name="L2">L2 penalty per step on the weights of the active features.</param>
/// <param name="UserDecay">Per served list, the user's hit counts are multiplied by this before adding the new list.</param>
/// <param name="UserPrior">Pseudo-lists at the global hit rate in the user's smoothed hit rate.</param>
/// <param name="GenreFeatures">Use the features of how the candidate's categories fit the user's history.</param>
/// <param name="CandidateFeatures">Use the per-candidate features the caller passes (the job: the learned blend's inputs) beside
/// the blend's score, so that the hit probability weighs them for itself (up to <see cref="HitCalibrator.MaxCandidateFeatures"/>).</param>
public sealed record HitCalibratorOptions(
    double LearnRate = 0.01,
    double L2 = 1e-6,
    double UserDecay = 0.9,
    double UserPrior = 5,
    bool GenreFeatures = true,
    bool CandidateFeatures = true);

/// <summary>
/// Estimates, for each candidate of a served list, the probability that it is the user's next positive item, so that a
/// <see cref="DppReranker"/> (<see cref="DppRelevance.Calibrated"/>) trades expected hits against diversity in the same
/// units for every list. Online logistic regression (SGD), learned prequentially: <see cref="Predict"/> keeps the
/// features of the list served to the user, and <see cref="Learn"/> with the user's next positive event labels that
/// list (the event's item is the positive when it was a candidate, the other candidates are negatives) before the
/// event updates the user's context. Nothing is learned from an event before the list it labels was served.
/// <para>Features of candidate j (position in the pool, best blend score first) with blend score s_j: bias; rank
/// bucket (1, 2, 3, 4, 5, 6–7, 8–10, 11–15, 16–20, 21–30, 31–40, 41–50, 51–75, 76+); s_0 − s_j, s_j, s_0 and
/// ln(1 + j); the user's relative predictability ln(h_u / h) with h_u the user's decayed, smoothed rate of lists whose
/// event item was in the pool's top 10 and h the global rate, alone and times ln(1 + j); ln(1 + the user's positive
/// events)/5; minutes since the user's previous event (&lt; 2, &lt; 10, &lt; 60, &lt; 1440, more or none). Optional
/// category features: the mean and the minimum share of the candidate's categories in the user's positive history,
/// their mean share among the user's last 10 positives (alone and times ln(1 + j)), the number of categories (0–6+),
/// whether none of them occurs in the user's history, the largest share of one of them in the history and among the
/// last 10 positives, their mean share in the history decayed by <see cref="GenreDecay"/> per positive event, and the
/// category Jaccard of the candidate with the user's last positive item. Optional candidate features: up to
/// <see cref="MaxCandidateFeatures"/> numbers per candidate from the caller (the job passes the learned blend's inputs:
/// co-visitation, popularity, category affinity, factors), each with its own weight. The blend weighs them for the
/// softmax over the whole candidate list; here they are weighed for the probability of each candidate with the
/// category features beside them, which is what tells the hit probability of a candidate from another category than
/// the list's head (the DPP's trade).</para>
/// </summary>
/// <summary>
/// The shared part of a <see cref="HitCalibrator"/>'s state: the weights and the global hit counts (MessagePack,
/// contractless, so that a streaming operator can keep it in its checkpointed state).
/// </summary>
public sealed class HitCalibratorState
{
    public double[] Weights { get; set; } = new double[HitCalibrator.Dimension];
    /// <summary>Lists labelled so far.</summary>
    public double GlobalLists { get; set; }
    /// <summary>Labelled lists whose event item was in the pool's top 10.</summary>
    public double GlobalHits { get; set; }
}

/// <summary>
/// The per-user part of a <see cref="HitCalibrator"/>'s state: the user's context and the features of the list last
/// served, waiting for the user's next positive event (MessagePack, contractless).
/// </summary>
public sealed class HitCalibratorUser
{
    /// <summary>Positive events per category.</summary>
    public double[] Genres { get; set; } = [];
    /// <summary>Positive events per category, each multiplied by <see cref="HitCalibrator.GenreDecay"/> at every positive event.</summary>
    public double[] RecentGenres { get; set; } = [];
    /// <summary>The last positive items, oldest first.</summary>
    public List<int> Recent { get; set; } = [];
    public int Positives { get; set; }
    public long LastMs { get; set; }
    public bool HasLast { get; set; }
    /// <summary>Decayed count of the user's labelled lists.</summary>
    public double Lists { get; set; }
    /// <summary>Decayed count of the user's labelled lists whose event item was in the pool's top 10.</summary>
    public double Hits { get; set; }
    /// <summary>Candidates of the list last served (null: nothing waits for a label).</summary>
    public int[]? PendingCandidates { get; set; }
    /// <summary>Their features, <see cref="HitCalibrator.Dimension"/> per candidate.</summary>
    public double[]? PendingFeatures { get; set; }
}

public sealed class HitCalibrator
{
    /// <summary>Length of the feature vector.</summary>
    public const int Dimension = 64;

    /// <summary>How many candidate features of the caller the calibrator uses at most (the rest are ignored).</summary>
    public const int MaxCandidateFeatures = 16;

    private const int CandidateOffset = 48;

    private const int RecentCount = 10;

    /// <summary>
    /// Per positive event, the decay of <see cref="HitCalibratorUser.RecentGenres"/>: a half-life of about 14 positive
    /// events, between the last <see cref="RecentCount"/> positives and the whole history that the other category
    /// features read (a taste that lasts longer than a session but has changed since the first ratings).
    /// </summary>
    public const double GenreDecay = 0.95;
    private static readonly int[] RankEdges = [0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 40, 50, 75, 100, 1000];

    private readonly IReadOnlyList<int[]> _categories;
    private readonly int _categoryCount;
    private readonly HitCalibratorOptions _o;
    private HitCalibratorState _model = new();
    private double[] _w;

    public HitCalibrator(IReadOnlyList<int[]> itemCategories, int categoryCount, HitCalibratorOptions? options = null)
    {
        _categories = itemCategories ?? throw new ArgumentNullException(nameof(itemCategories));
        ArgumentOutOfRangeException.ThrowIfNegative(categoryCount);
        _categoryCount = categoryCount;
        _o = options ?? new HitCalibratorOptions();
        _w = _model.Weights;
    }

    /// <summary>The current weights (for inspection and tests).</summary>
    public ReadOnlySpan<double> Weights => _w;

    /// <summary>The number of categories the genre features count.</summary>
    public int CategoryCount => _categoryCount;

    /// <summary>
    /// Makes <paramref name="state"/> the weights and global counts this calibrator reads and updates (the calibrator
    /// keeps no other model state), for callers that keep the state themselves.
    /// </summary>
    public void Bind(HitCalibratorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Weights.Length != Dimension)
        {
            // A state from a calibrator with fewer features keeps the weights of those (their meaning is unchanged).
            var w = new double[Dimension];
            state.Weights.AsSpan(0, Math.Min(state.Weights.Length, Dimension)).CopyTo(w);
            state.Weights = w;
        }
        _model = state;
        _w = state.Weights;
    }

    /// <summary>
    /// Writes into <paramref name="probability"/> the estimated hit probability of each candidate (candidates best blend
    /// score first, <paramref name="scores"/> aligned) for a list served at <paramref name="nowMs"/> to the user whose
    /// state (kept by the caller) is <paramref name="user"/>; with <paramref name="keep"/> the features wait in it until
    /// the user's next positive event labels them (false: the list is only scored, it was not served).
    /// </summary>
    public void Predict(HitCalibratorUser user, long nowMs, ReadOnlySpan<int> candidates, ReadOnlySpan<float> scores, Span<double> probability, bool keep) =>
        Predict(user, nowMs, candidates, scores, default, 0, probability, keep);

    /// <summary>
    /// As above, with <paramref name="width"/> features per candidate in <paramref name="candidateFeatures"/> (row-major,
    /// aligned with <paramref name="candidates"/>; used with <see cref="HitCalibratorOptions.CandidateFeatures"/>, the
    /// first <see cref="MaxCandidateFeatures"/> of each row). A caller must pass the same features in the same order
    /// for every list: each has its own weight.
    /// </summary>
    public void Predict(HitCalibratorUser user, long nowMs, ReadOnlySpan<int> candidates, ReadOnlySpan<float> scores, ReadOnlySpan<float> candidateFeatures, int width,
        Span<double> probability, bool keep)
    {
        ArgumentNullException.ThrowIfNull(user);
        int n = candidates.Length;
        if (scores.Length != n || probability.Length < n) throw new ArgumentException("scores and probability must align with candidates");
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        if (candidateFeatures.Length < n * width) throw new ArgumentException("candidateFeatures must hold width features per candidate");
        int used = _o.CandidateFeatures ? Math.Min(width, MaxCandidateFeatures) : 0;
        Fit(user);
        var x = new double[n * Dimension];
        double rel = Math.Log(UserRate(user) / GlobalRate());
        for (int j = 0; j < n; j++)
        {
            Span<double> row = x.AsSpan(j * Dimension, Dimension);
            Features(user, nowMs, candidates, scores, j, rel, row);
            for (int f = 0; f < used; f++) row[CandidateOffset + f] = candidateFeatures[j * width + f];
            probability[j] = Sigmoid(Dot(row));
        }

        if (!keep) return;
        user.PendingCandidates = candidates.ToArray();
        user.PendingFeatures = x;
    }

    /// <summary>
    /// Learns one event of the user whose state is <paramref name="user"/> on <paramref name="item"/> (−1: an item
    /// without categories that no list held); call for every event, after the list for it was served. A positive event
    /// labels the list last served to the user (the event's item is the positive when it was among that list's
    /// candidates), then the event updates the user's context.
    /// </summary>
    public void Learn(HitCalibratorUser user, int item, bool positive, long timestampMs)
    {
        ArgumentNullException.ThrowIfNull(user);
        Fit(user);
        if (positive && user.PendingCandidates is { } candidates && user.PendingFeatures is { } x)
        {
            user.PendingCandidates = null;
            user.PendingFeatures = null;
            int hitIndex = item < 0 ? -1 : Array.IndexOf(candidates, item);
            int n = candidates.Length;
            for (int j = 0; j < n; j++)
            {
                Span<double> row = x.AsSpan(j * Dimension, Dimension);
                double err = (j == hitIndex ? 1 : 0) - Sigmoid(Dot(row));
                for (int t = 0; t < Dimension; t++)
                {
                    if (row[t] != 0) _w[t] += _o.LearnRate * (err * row[t] - _o.L2 * _w[t]);
                }
            }

            bool hit = hitIndex is >= 0 and < 10;
            user.Lists = user.Lists * _o.UserDecay + 1;
            user.Hits = user.Hits * _o.UserDecay + (hit ? 1 : 0);
            _model.GlobalLists++;
            if (hit) _model.GlobalHits++;
        }

        user.LastMs = timestampMs;
        user.HasLast = true;
        if (!positive) return;
        user.Positives++;
        if (_categoryCount == 0) return;
        for (int c = 0; c < user.RecentGenres.Length; c++) user.RecentGenres[c] *= GenreDecay;
        foreach (int g in CategoriesOf(item))
        {
            user.Genres[g]++;
            user.RecentGenres[g]++;
        }
        user.Recent.Add(item);
        if (user.Recent.Count > RecentCount) user.Recent.RemoveAt(0);
    }

    /// <summary>Sizes a user state to this calibrator's categories (a restored state may predate new ones).</summary>
    private void Fit(HitCalibratorUser user)
    {
        if (user.Genres.Length < _categoryCount)
        {
            var g = new double[_categoryCount];
            user.Genres.CopyTo(g, 0);
            user.Genres = g;
        }
        if (user.RecentGenres.Length < _categoryCount)
        {
            var g = new double[_categoryCount];
            user.RecentGenres.CopyTo(g, 0);
            user.RecentGenres = g;
        }
    }

    private void Features(HitCalibratorUser? ctx, long nowMs, ReadOnlySpan<int> candidates, ReadOnlySpan<float> scores, int j, double rel, Span<double> x)
    {
        x.Clear();
        double logRank = Math.Log(1 + j);
        x[0] = 1;
        x[1 + RankBucket(j)] = 1;
        x[18] = scores[0] - scores[j];
        x[19] = rel;
        x[20] = rel * logRank;
        x[33] = scores[j];
        x[34] = scores[0];
        x[35] = logRank;
        x[36] = Math.Log(1 + (ctx?.Positives ?? 0)) / 5;
        double gap = ctx is { HasLast: true } ? Math.Max(0, (nowMs - ctx.LastMs) / 60000.0) : double.MaxValue;
        x[37 + (gap < 2 ? 0 : gap < 10 ? 1 : gap < 60 ? 2 : gap < 1440 ? 3 : 4)] = 1;
        if (!_o.GenreFeatures) return;

        int[] g = CategoriesOf(candidates[j]);
        double total = 0, recentTotal = 0;
        Span<double> recent = _categoryCount <= 64 ? stackalloc double[_categoryCount] : new double[_categoryCount];
        if (ctx is not null)
        {
            foreach (double v in ctx.Genres) total += v;
            foreach (int item in ctx.Recent)
            {
                foreach (int c in CategoriesOf(item))
                {
                    if (c >= _categoryCount) continue;
                    recent[c]++;
                    recentTotal++;
                }
            }
        }

        double share = 0, recentShare = 0, minShare = 1;
        bool isNew = true;
        foreach (int c in g)
        {
            double count = ctx is not null && c < ctx.Genres.Length ? ctx.Genres[c] : 0;
            if (count > 0) isNew = false;
            double sh = total > 0 ? count / total : 0;
            share += sh;
            minShare = Math.Min(minShare, sh);
            recentShare += recentTotal > 0 ? recent[c] / recentTotal : 0;
        }

        if (g.Length > 0)
        {
            share /= g.Length;
            recentShare /= g.Length;
        }
        else
        {
            minShare = 0;
        }

        x[21] = share * 5;
        x[22] = recentShare * 5;
        x[23] = minShare * 5;
        x[24 + Math.Min(g.Length, 6)] = 1;
        x[31] = isNew ? 1 : 0;
        x[32] = recentShare * 5 * logRank;
        if (ctx is null || g.Length == 0) return;

        // The best-fitting of the candidate's categories (an item of a favourite category and a rarer one is not a
        // stranger), the decayed history's share, and the fit with the user's last positive item.
        double decayedTotal = 0;
        foreach (double v in ctx.RecentGenres) decayedTotal += v;
        double maxShare = 0, maxRecent = 0, decayedShare = 0;
        foreach (int c in g)
        {
            if (c >= _categoryCount) continue;
            if (total > 0) maxShare = Math.Max(maxShare, ctx.Genres[c] / total);
            if (recentTotal > 0) maxRecent = Math.Max(maxRecent, recent[c] / recentTotal);
            if (decayedTotal > 0) decayedShare += ctx.RecentGenres[c] / decayedTotal;
        }

        x[17] = maxShare * 5;
        x[46] = maxRecent * 5;
        x[47] = decayedShare / g.Length * 5;
        if (ctx.Recent.Count > 0) x[16] = CategoryJaccardSimilarity.Jaccard(g, CategoriesOf(ctx.Recent[^1]));
    }

    private int[] CategoriesOf(int item) => item >= 0 && item < _categories.Count ? _categories[item] : [];

    private static int RankBucket(int rank)
    {
        int b = 0;
        while (b + 1 < RankEdges.Length - 1 && rank >= RankEdges[b + 1]) b++;
        return b;
    }

    private double GlobalRate() => (_model.GlobalHits + 1) / (_model.GlobalLists + 10);

    private double UserRate(HitCalibratorUser? u) =>
        ((u?.Hits ?? 0) + _o.UserPrior * GlobalRate()) / ((u?.Lists ?? 0) + _o.UserPrior);

    private double Dot(ReadOnlySpan<double> x)
    {
        double z = 0;
        for (int t = 0; t < Dimension; t++) z += _w[t] * x[t];
        return z;
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
