namespace RecoFlow.Recommendations.Ranking;

/// <summary>How <see cref="DppReranker"/> turns the candidates' scores into the relevance r̃ of its kernel.</summary>
public enum DppRelevance
{
    /// <summary>Min–max normalised score, r̃ ∈ [0, 1]. Sensitive to the score scale: one outlier compresses the rest.</summary>
    MinMax,
    /// <summary>Linear in the rank: r̃ = 1 − rank/(n − 1) (rank 0 = best score). Independent of the score scale.</summary>
    Rank,
    /// <summary>r̃ = −ln(1 + rank): q = (1 + rank)^(−α), a power-law decay like the hit rate over list positions.</summary>
    LogRank,
    /// <summary>r̃ = the score itself (q = exp(α·score)): keeps how far apart the scores are, so a list with one clear
    /// favourite is diversified less than one with many near-equal candidates.</summary>
    Score,
    /// <summary>
    /// r̃ = the caller's estimated hit probability of each candidate in percent (<see cref="HitCalibrator"/>), used as
    /// is like <see cref="Score"/>: q = exp(α·100·p), so log det L_Y = 2α·100·Σp + log det S_Y and the trade between
    /// expected hits and diversity is in the same units for every list (a list whose hits are unlikely anyway is
    /// diversified more).
    /// </summary>
    Calibrated,
    /// <summary>
    /// r̃ = the softmax of the scores over the candidates in percent, 100·e^{s_i}/Σ_j e^{s_j}, used as is like
    /// <see cref="Calibrated"/>: for scores trained with the softmax cross-entropy over a list's candidates (the learned
    /// blend) it is the model's own probability that the candidate is the user's next item, so log det L_Y = 2α·100·Σp +
    /// log det S_Y trades expected hits against diversity without a second model.
    /// </summary>
    Softmax,
}

/// <summary>What the greedy selection of <see cref="DppReranker"/> maximises over the list Y.</summary>
public enum DppObjective
{
    /// <summary>The DPP's log det L_Y = 2α·Σ_{i∈Y} r̃_i + log det S_Y (greedy MAP, Chen et al. 2018).</summary>
    LogDet,
    /// <summary>
    /// θ·Σ_{i∈Y} r̃_i − (1 − θ)·Σ_{i&lt;j∈Y} S_ij: the first-order term of log det S_Y for a kernel near the identity, linear
    /// in the pairwise similarities like the intra-list diversity (ILD = 1 − mean S_ij over the pairs). log det S_Y
    /// itself is concave in how many items of one category Y holds (with S = (1 − γ)·I + γ·1·1ᵀ for m same-category
    /// items and γ = 0.25, the m-th repeat costs −ln((1 − γ)(1 + mγ)/(1 + (m − 1)γ)): 0.06, 0.11, 0.13, … 0.21 for the
    /// tenth), so it lets a list concentrate more than ILD would; here the m-th repeat costs m·S. With the category
    /// Jaccard kernel, unshrunk, and calibrated relevance, the greedy step trades expected hits against the ILD itself.
    /// </summary>
    Pairwise,
}

/// <summary>
/// Re-ranks candidates by greedy MAP inference of a determinantal point process (Chen, Zhang &amp; Zhou, "Fast Greedy
/// MAP Inference for Determinantal Point Process to Improve Recommendation Diversity", NeurIPS 2018, Algorithm 1:
/// incremental Cholesky updates, O(N·k²) time for N candidates and k picks, at most O(N²M) as stated there).
/// <para>Kernel: L = diag(q)·S·diag(q) with S from an <see cref="IItemSimilarity"/> (plus 1e-6 on the diagonal) and
/// q_i = exp(α·(r̃_i − max r̃)), α = θ / (2(1 − θ)), r̃ the relevance of <see cref="DppRelevance"/>. Since
/// log det L_Y = 2α·Σ_{i∈Y} r̃_i + log det S_Y + const(|Y|), each greedy step maximises θ·Σ r̃ + (1 − θ)·log det S_Y
/// (up to the positive factor 1/(1−θ)): θ = 0 is pure diversity, θ → 1 pure relevance, and θ = 1 is handled exactly
/// as sorting by relevance. The shift by max r̃ in the exponent only rescales L by a constant per step and avoids
/// overflow.</para>
/// <para>The first <c>keepTop</c> picks are the most relevant candidates, unconditionally (diversity applies only
/// below them); the greedy continues from them with their Cholesky rows, so they still repel later picks.</para>
/// <para>When the marginal gain d² of every remaining candidate falls below ε (the selected items span the
/// candidates' similarity space), the remaining slots are filled in relevance order.</para>
/// <para>With <see cref="DppObjective.Pairwise"/> the greedy step maximises θ·r̃_i − (1 − θ)·Σ_{j∈Y} S_ij instead (the
/// first-order term of log det S_Y, linear in the similarities like the ILD; no kernel matrix is built).</para>
/// </summary>
public sealed class DppReranker
{
    private readonly double _theta;
    private readonly double _epsilon;
    private readonly DppRelevance _relevance;
    private readonly int _keepTop;
    private readonly DppObjective _objective;

    public DppReranker(double theta, double epsilon = 1e-9, DppRelevance relevance = DppRelevance.MinMax, int keepTop = 0, DppObjective objective = DppObjective.LogDet)
    {
        if (!Enum.IsDefined(objective)) throw new ArgumentOutOfRangeException(nameof(objective));
        if (theta is < 0 or > 1 || double.IsNaN(theta)) throw new ArgumentOutOfRangeException(nameof(theta), "θ must be in [0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegative(keepTop);
        _theta = theta;
        _epsilon = epsilon;
        _relevance = relevance;
        _keepTop = keepTop;
        _objective = objective;
    }

    public DppObjective Objective => _objective;

    public double Theta => _theta;

    public DppRelevance Relevance => _relevance;

    public int KeepTop => _keepTop;

    /// <summary>
    /// Picks up to <paramref name="destination"/>.Length of the <paramref name="candidates"/> (item ids, with
    /// relevance aligned). Writes item ids in selection order and returns how many.
    /// </summary>
    public int Rerank(ReadOnlySpan<int> candidates, ReadOnlySpan<float> relevance, IItemSimilarity similarity, Span<int> destination) =>
        Rerank(candidates, relevance, similarity, destination, _theta);

    /// <summary>As above with θ given for this list (a <see cref="DiversityController"/> moves it over time).</summary>
    public int Rerank(ReadOnlySpan<int> candidates, ReadOnlySpan<float> relevance, IItemSimilarity similarity, Span<int> destination, double theta)
    {
        if (theta is < 0 or > 1 || double.IsNaN(theta)) throw new ArgumentOutOfRangeException(nameof(theta), "θ must be in [0, 1]");
        ArgumentNullException.ThrowIfNull(similarity);
        int n = candidates.Length;
        if (relevance.Length != n) throw new ArgumentException("relevance must align with candidates");
        int k = Math.Min(destination.Length, n);
        if (k == 0) return 0;

        double[] rNorm = Normalise(relevance, _relevance);
        var picked = new int[k];
        int count;
        if (theta >= 1)
        {
            count = FillByRelevance(rNorm, new bool[n], picked, 0, k);
        }
        else if (_objective == DppObjective.Pairwise)
        {
            var used = new bool[n];
            int forced = FillByRelevance(rNorm, used, picked, 0, Math.Min(_keepTop, k));
            count = GreedyPairwise(candidates, rNorm, similarity, theta, used, picked, forced, k);
        }
        else
        {
            double alpha = theta / (2 * (1 - theta));
            double top = rNorm.Max();
            var q = new double[n];
            for (int i = 0; i < n; i++) q[i] = Math.Exp(alpha * (rNorm[i] - top));
            var kernel = new double[n * n];
            for (int i = 0; i < n; i++)
            {
                kernel[i * n + i] = q[i] * q[i] * (1 + 1e-6);
                for (int j = i + 1; j < n; j++)
                {
                    double v = q[i] * similarity.Similarity(candidates[i], candidates[j]) * q[j];
                    kernel[i * n + j] = v;
                    kernel[j * n + i] = v;
                }
            }

            int forced = FillByRelevance(rNorm, new bool[n], picked, 0, Math.Min(_keepTop, k));
            count = GreedyMap(kernel, n, k, _epsilon, picked, forced);
            if (count < k)
            {
                var used = new bool[n];
                for (int j = 0; j < count; j++) used[picked[j]] = true;
                count = FillByRelevance(rNorm, used, picked, count, k);
            }
        }

        for (int j = 0; j < count; j++) destination[j] = candidates[picked[j]];
        return count;
    }

    /// <summary>The relevance r̃ of each candidate under <paramref name="mode"/> (ties in score keep candidate order).</summary>
    public static double[] Normalise(ReadOnlySpan<float> relevance, DppRelevance mode)
    {
        int n = relevance.Length;
        var r = new double[n];
        if (n == 0) return r;
        if (mode == DppRelevance.Softmax)
        {
            var p = new float[n];
            StableSoftmax.Compute(relevance, p);
            for (int i = 0; i < n; i++) r[i] = 100.0 * p[i];
            return r;
        }

        if (mode is DppRelevance.Score or DppRelevance.Calibrated)
        {
            for (int i = 0; i < n; i++) r[i] = relevance[i];
            return r;
        }

        if (mode == DppRelevance.MinMax)
        {
            float min = float.MaxValue, max = float.MinValue;
            for (int i = 0; i < n; i++)
            {
                min = Math.Min(min, relevance[i]);
                max = Math.Max(max, relevance[i]);
            }
            double range = max > min ? max - min : 1;
            for (int i = 0; i < n; i++) r[i] = (relevance[i] - min) / range;
            return r;
        }

        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var rel = relevance.ToArray();
        Array.Sort(order, (a, b) => rel[b] != rel[a] ? rel[b].CompareTo(rel[a]) : a.CompareTo(b));
        for (int rank = 0; rank < n; rank++)
            r[order[rank]] = mode == DppRelevance.Rank ? (n == 1 ? 1 : 1 - (double)rank / (n - 1)) : -Math.Log(1 + rank);
        return r;
    }

    /// <summary>
    /// Chen et al.'s Algorithm 1 on an explicit symmetric PSD kernel (row-major n×n). Writes selected indices in
    /// order and returns how many were chosen before the largest marginal gain fell below ε.
    /// </summary>
    public static int GreedyMap(ReadOnlySpan<double> kernel, int n, int k, double epsilon, Span<int> selected) =>
        GreedyMap(kernel, n, k, epsilon, selected, 0);

    /// <summary>
    /// As above, but the first <paramref name="forced"/> entries of <paramref name="selected"/> are taken as given
    /// (in that order) before the greedy choice starts; they update the Cholesky rows like any pick.
    /// </summary>
    public static int GreedyMap(ReadOnlySpan<double> kernel, int n, int k, double epsilon, Span<int> selected, int forced)
    {
        if (kernel.Length != n * n) throw new ArgumentException("kernel must be n×n");
        k = Math.Min(k, Math.Min(n, selected.Length));
        var c = new double[n * k];   // row i holds the Cholesky-style vector c_i (length = picks so far)
        var d2 = new double[n];
        var used = new bool[n];
        for (int i = 0; i < n; i++) d2[i] = kernel[i * n + i];
        int count = 0;
        while (count < k)
        {
            int j = -1;
            if (count < forced)
            {
                j = selected[count];
                if (used[j] || d2[j] <= 0) break;
            }
            else
            {
                double best = epsilon;
                for (int i = 0; i < n; i++)
                {
                    if (!used[i] && d2[i] > best)
                    {
                        best = d2[i];
                        j = i;
                    }
                }
            }

            if (j < 0) break;
            used[j] = true;
            selected[count] = j;
            double dj = Math.Sqrt(d2[j]);
            for (int i = 0; i < n; i++)
            {
                if (used[i]) continue;
                double dot = 0;
                for (int t = 0; t < count; t++) dot += c[j * k + t] * c[i * k + t];
                double e = (kernel[j * n + i] - dot) / dj;
                c[i * k + count] = e;
                d2[i] -= e * e;
            }

            count++;
        }

        return count;
    }

    /// <summary>
    /// Greedy selection for <see cref="DppObjective.Pairwise"/>: from <paramref name="count"/> picks on, each step takes
    /// the unused candidate with the largest θ·r̃_i − (1 − θ)·Σ_{j picked} S_ij (ties: the lower index, i.e. the better
    /// pool position). O(N·k) similarity evaluations.
    /// </summary>
    private static int GreedyPairwise(ReadOnlySpan<int> candidates, double[] rNorm, IItemSimilarity similarity, double theta, bool[] used, int[] picked, int count, int k)
    {
        int n = rNorm.Length;
        var penalty = new double[n];
        for (int t = 0; t < count; t++) AddPenalty(candidates, similarity, used, penalty, picked[t]);
        while (count < k)
        {
            int best = -1;
            double bestGain = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                if (used[i]) continue;
                double gain = theta * rNorm[i] - (1 - theta) * penalty[i];
                if (best < 0 || gain > bestGain)
                {
                    best = i;
                    bestGain = gain;
                }
            }

            if (best < 0) break;
            used[best] = true;
            picked[count++] = best;
            AddPenalty(candidates, similarity, used, penalty, best);
        }

        return count;
    }

    private static void AddPenalty(ReadOnlySpan<int> candidates, IItemSimilarity similarity, bool[] used, double[] penalty, int picked)
    {
        for (int i = 0; i < penalty.Length; i++)
        {
            if (!used[i]) penalty[i] += similarity.Similarity(candidates[i], candidates[picked]);
        }
    }

    private static int FillByRelevance(double[] rNorm, bool[] used, int[] picked, int count, int k)
    {
        while (count < k)
        {
            int best = -1;
            for (int i = 0; i < rNorm.Length; i++)
            {
                if (!used[i] && (best < 0 || rNorm[i] > rNorm[best])) best = i;
            }

            if (best < 0) break;
            used[best] = true;
            picked[count++] = best;
        }

        return count;
    }
}
