using MessagePack;
using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Models;
using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Recommenders;

/// <summary>Hyper-parameters of <see cref="HybridRecommender"/> (defaults are the tuned MovieLens values).</summary>
public sealed record HybridOptions
{
    public IsgdOptions Isgd { get; init; } = new(Factors: 16, LearnRate: 0.1f, Regularization: 0.01f, InitStdDev: 0.1f, Seed: 42, NegativeSamples: 4);
    public double PopularityHalfLifeDays { get; init; } = 180;
    /// <summary>Popularity increment of a non-positive event (positive events add 1).</summary>
    public double NonPositivePopularityWeight { get; init; } = 0.5;
    public double CoVisitationHalfLifeDays { get; init; } = 365;
    public int MaxNeighbours { get; init; } = 100;
    /// <summary>A positive item is linked to this many of the user's previous positive items.</summary>
    public int CoVisitationWindow { get; init; } = 10;
    /// <summary>How many of the user's most recent positive items seed co-visitation scores.</summary>
    public int RecentItems { get; init; } = 10;
    /// <summary>Weight of the j-th most recent seed is RecencyDecay^j.</summary>
    public double RecencyDecay { get; init; } = 0.85;
    /// <summary>Per positive event, the user's category affinities are multiplied by this before adding the new item's.</summary>
    public double CategoryDecay { get; init; } = 0.9;
    public float WeightMf { get; init; } = 1f;
    public float WeightCoVisitation { get; init; } = 0.5f;
    public float WeightPopularity { get; init; } = 0.5f;
    public float WeightCategory { get; init; } = 0.3f;
    /// <summary>Exclude every item the user interacted with before (not only earlier positives).</summary>
    public bool ExcludeSeen { get; init; } = true;
    /// <summary>When set, the top <see cref="DppCandidates"/> are re-ranked by DPP with this θ (kernel and pool below).</summary>
    public double? DppTheta { get; init; }
    /// <summary>Capacity of the ring buffer of recent positive (user, item) pairs used for replay.</summary>
    public int ReplayBuffer { get; init; } = 20_000;
    /// <summary>Extra ISGD updates per positive event on pairs drawn uniformly from the replay buffer (0 = none).</summary>
    public int ReplaySteps { get; init; } = 10;
    public int DppCandidates { get; init; } = 50;
    /// <summary>How the DPP turns blend scores into relevance (<see cref="DppRelevance"/>).</summary>
    public DppRelevance DppRelevance { get; init; } = DppRelevance.MinMax;
    /// <summary>The DPP keeps this many most relevant candidates at the head of the list and diversifies below them.</summary>
    public int DppKeepTop { get; init; }
    /// <summary>The similarity of the DPP kernel.</summary>
    public DppKernel DppKernel { get; init; } = DppKernel.Jaccard;
    /// <summary>The DPP's candidates: the top <see cref="DppCandidates"/>, or those plus the best items of each category.</summary>
    public DppPool DppPool { get; init; } = DppPool.Top;
    /// <summary>With <see cref="DppPool.Genre"/>: how many of the best items of each category join the pool.</summary>
    public int DppPerGenre { get; init; } = 3;
    /// <summary>Shrinks the DPP's similarity toward the identity, S' = (1 − γ)·I + γ·S (<see cref="ShrunkSimilarity"/>); 1 = unchanged.</summary>
    public double DppShrink { get; init; } = 1;
    /// <summary>With <see cref="DppRelevance.Calibrated"/>: the settings of the online hit-probability model.</summary>
    public HitCalibratorOptions DppCalibration { get; init; } = new();
}

/// <summary>Snapshot of a <see cref="HybridRecommender"/> (the item categories are configuration, not state).</summary>
[MessagePackObject]
public sealed class HybridState
{
    [Key(0)] public IsgdState Isgd { get; set; } = new();
    [Key(1)] public DecayedPopularityState Popularity { get; set; } = new();
    [Key(2)] public CoVisitationState CoVisitation { get; set; } = new();
    /// <summary>Per user: recent positive items, oldest first.</summary>
    [Key(3)] public int[][] Recent { get; set; } = [];
    /// <summary>Per user: items interacted with.</summary>
    [Key(4)] public int[][] Seen { get; set; } = [];
    /// <summary>Per user: category affinities (length = category count, or empty).</summary>
    [Key(5)] public double[][] CategoryAffinity { get; set; } = [];
    /// <summary>Replay ring buffer as (user &lt;&lt; 32 | item), in slot order.</summary>
    [Key(6)] public long[] Replay { get; set; } = [];
    [Key(7)] public long ReplayWritten { get; set; }
    [Key(8)] public ulong ReplayRngState { get; set; }
}

/// <summary>
/// Online hybrid recommender. Per positive event it updates ISGD factors, a time-decayed popularity, item–item
/// co-visitation (the new item with the user's previous <c>CoVisitationWindow</c> positives, weight 1/(1+distance)),
/// the user's recent-item ring and decayed category affinity. Non-positive events only add
/// <c>NonPositivePopularityWeight</c> to popularity and mark the item seen.
/// <para>Score of item i for user u, over items with positive popularity:
/// WeightMf·(p_u·q_i) + WeightCoVisitation·co(i)/max co + WeightPopularity·pop(i)/max pop + WeightCategory·cat(i)/max cat,
/// with co(i) = Σ_j RecencyDecay^j · w(seed_j, i)/√pop(i) over the user's recent seeds and cat(i) the mean affinity of
/// i's categories. Excluded and (optionally) already-seen items are removed; optional DPP re-ranking of the top
/// candidates.</para>
/// </summary>
public sealed class HybridRecommender : IRecommender
{
    private readonly HybridOptions _o;
    private readonly IReadOnlyList<int[]> _itemCategories;
    private readonly int _categoryCount;
    private readonly IsgdModel _isgd;
    private readonly DecayedPopularity _pop;
    private readonly CoVisitation _covis;
    private readonly IItemSimilarity _similarity;
    private readonly DppReranker? _dpp;
    private readonly HitCalibrator? _calibrator;
    private double[] _probability = [];
    private List<int>?[] _recent = new List<int>?[64];
    private List<int>?[] _seen = new List<int>?[64];
    private double[]?[] _affinity = new double[]?[64];
    private float[] _score = new float[64];
    private float[] _tmp = new float[64];
    private float[] _co = new float[64];
    private int[] _candidates = [];
    private readonly List<int> _pool = [];
    private readonly long[] _replay;
    private long _replayWritten;
    private readonly SplitMix64 _replayRng;

    public HybridRecommender(HybridOptions options, IReadOnlyList<int[]> itemCategories, int categoryCount)
        : this(options, itemCategories, categoryCount, null)
    {
    }

    private HybridRecommender(HybridOptions options, IReadOnlyList<int[]> itemCategories, int categoryCount, HybridState? state)
    {
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _itemCategories = itemCategories ?? throw new ArgumentNullException(nameof(itemCategories));
        _categoryCount = categoryCount;
        _similarity = DppSimilarity.Create(options.DppKernel, itemCategories, options.DppShrink);
        _dpp = options.DppTheta is double theta ? new DppReranker(theta, relevance: options.DppRelevance, keepTop: options.DppKeepTop) : null;
        if (_dpp is not null && options.DppRelevance == DppRelevance.Calibrated)
            _calibrator = new HitCalibrator(itemCategories, categoryCount, options.DppCalibration);
        _replay = new long[Math.Max(1, options.ReplayBuffer)];
        _replayRng = new SplitMix64(state?.ReplayRngState ?? options.Isgd.Seed ^ 0x5EEDUL);
        if (state is null)
        {
            _isgd = new IsgdModel(options.Isgd);
            _pop = new DecayedPopularity(TimeSpan.FromDays(options.PopularityHalfLifeDays));
            _covis = new CoVisitation(TimeSpan.FromDays(options.CoVisitationHalfLifeDays), options.MaxNeighbours);
        }
        else
        {
            _isgd = IsgdModel.Restore(state.Isgd);
            _pop = DecayedPopularity.Restore(state.Popularity);
            _covis = CoVisitation.Restore(state.CoVisitation);
            state.Replay.AsSpan(0, Math.Min(state.Replay.Length, _replay.Length)).CopyTo(_replay);
            _replayWritten = state.ReplayWritten;
            int users = state.Recent.Length;
            EnsureUser(users - 1);
            for (int u = 0; u < users; u++)
            {
                if (state.Recent[u].Length > 0) _recent[u] = [.. state.Recent[u]];
                if (state.Seen[u].Length > 0) _seen[u] = [.. state.Seen[u]];
                if (state.CategoryAffinity[u].Length > 0) _affinity[u] = (double[])state.CategoryAffinity[u].Clone();
            }
        }
    }

    public string Name => _dpp is null ? "hybrid" : $"hybrid+dpp(θ={_dpp.Theta:0.###})";

    public void Learn(in FeedbackEvent e)
    {
        _calibrator?.Learn(e);
        EnsureUser(e.User);
        (_seen[e.User] ??= []).Add(e.Item);
        if (!e.IsPositive)
        {
            if (_o.NonPositivePopularityWeight > 0) _pop.Add(e.Item, _o.NonPositivePopularityWeight, e.TimestampMs);
            return;
        }

        _pop.Add(e.Item, 1, e.TimestampMs);
        _isgd.Update(e.User, e.Item);
        if (_o.ReplaySteps > 0)
        {
            long filled = Math.Min(_replayWritten, _replay.Length);
            for (int r = 0; r < _o.ReplaySteps && filled > 0; r++)
            {
                long pair = _replay[_replayRng.NextInt((int)filled)];
                _isgd.Update((int)(pair >> 32), (int)(pair & 0xFFFFFFFF));
            }

            _replay[_replayWritten % _replay.Length] = ((long)e.User << 32) | (uint)e.Item;
            _replayWritten++;
        }
        List<int> recent = _recent[e.User] ??= [];
        int window = Math.Min(_o.CoVisitationWindow, recent.Count);
        for (int d = 0; d < window; d++)
        {
            int other = recent[recent.Count - 1 - d];
            _covis.Add(e.Item, other, 1f / (1 + d), e.TimestampMs);
        }

        recent.Add(e.Item);
        int keep = Math.Max(_o.RecentItems, _o.CoVisitationWindow);
        if (recent.Count > 2 * keep) recent.RemoveRange(0, recent.Count - keep);

        int[] cats = e.Item < _itemCategories.Count ? _itemCategories[e.Item] : [];
        if (cats.Length > 0 && _categoryCount > 0)
        {
            double[] aff = _affinity[e.User] ??= new double[_categoryCount];
            for (int c = 0; c < aff.Length; c++) aff[c] *= _o.CategoryDecay;
            foreach (int c in cats) aff[c] += 1.0 / cats.Length;
        }
    }

    public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination)
    {
        int n = _pop.ItemCount;
        if (n == 0) return 0;
        Span<float> s = ScoreAll(user, exclude);
        if (_dpp is null) return TopK.Select(s, n, destination[..k]);

        int m = Math.Max(k, _o.DppCandidates);
        int got;
        if (_o.DppPool == DppPool.Genre)
        {
            got = CandidatePool.Build(s, m, _itemCategories, _categoryCount, _o.DppPerGenre, _pool);
            if (_candidates.Length < got) _candidates = new int[got];
            _pool.CopyTo(_candidates);
        }
        else
        {
            if (_candidates.Length < m) _candidates = new int[m];
            got = TopK.Select(s, n, _candidates.AsSpan(0, m));
        }

        var rel = new float[got];
        for (int j = 0; j < got; j++) rel[j] = s[_candidates[j]];
        if (_calibrator is not null)
        {
            if (_probability.Length < got) _probability = new double[got];
            _calibrator.Predict(user, nowMs, _candidates.AsSpan(0, got), rel, _probability);
            for (int j = 0; j < got; j++) rel[j] = (float)(100 * _probability[j]);
        }

        return _dpp.Rerank(_candidates.AsSpan(0, got), rel, _similarity, destination[..k]);
    }

    /// <summary>
    /// The candidate pool a re-ranker would see for <paramref name="user"/> without re-ranking it: the blend's top
    /// <paramref name="top"/> items plus the best <paramref name="perCategory"/> of each category
    /// (<see cref="CandidatePool.Build"/>), best score first, with their blend scores. For diagnostics and offline
    /// re-ranking experiments; the exclusions are those of <see cref="Recommend"/>. Returns the pool size.
    /// </summary>
    public int Candidates(int user, ReadOnlySpan<int> exclude, int top, int perCategory, List<int> ids, List<float> scores)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(scores);
        ids.Clear();
        scores.Clear();
        if (_pop.ItemCount == 0) return 0;
        Span<float> s = ScoreAll(user, exclude);
        CandidatePool.Build(s, top, _itemCategories, _categoryCount, perCategory, ids);
        foreach (int i in ids) scores.Add(s[i]);
        return ids.Count;
    }

    private Span<float> ScoreAll(int user, ReadOnlySpan<int> exclude)
    {
        int n = _pop.ItemCount;
        if (_score.Length < n)
        {
            int cap = Math.Max(n, _score.Length * 2);
            _score = new float[cap];
            _tmp = new float[cap];
            _co = new float[cap];
        }

        Span<float> s = _score.AsSpan(0, n);
        ReadOnlySpan<double> pop = _pop.RawScores;
        double maxPop = 0;
        for (int i = 0; i < n; i++) maxPop = Math.Max(maxPop, pop[i]);
        float wPop = maxPop > 0 ? (float)(_o.WeightPopularity / maxPop) : 0;
        for (int i = 0; i < n; i++) s[i] = pop[i] > 0 ? (float)(wPop * pop[i]) : float.NegativeInfinity;

        if (_o.WeightMf != 0 && _isgd.ScoreAll(user, _tmp.AsSpan(0, n)))
        {
            for (int i = 0; i < n; i++) s[i] += _o.WeightMf * _tmp[i];
        }

        bool known = user >= 0 && user < _recent.Length;
        List<int>? recent = known ? _recent[user] : null;
        if (recent is { Count: > 0 } && _o.WeightCoVisitation != 0)
        {
            Span<float> co = _co.AsSpan(0, n);
            co.Clear();
            double w = 1;
            int seeds = Math.Min(_o.RecentItems, recent.Count);
            for (int j = 0; j < seeds; j++, w *= _o.RecencyDecay)
            {
                int cnt = _covis.Neighbours(recent[recent.Count - 1 - j], out ReadOnlySpan<int> ids, out ReadOnlySpan<float> ws);
                for (int t = 0; t < cnt; t++)
                {
                    int nb = ids[t];
                    if (nb < n && pop[nb] > 0) co[nb] += (float)(w * ws[t] / Math.Sqrt(pop[nb]));
                }
            }

            float maxCo = 0;
            for (int i = 0; i < n; i++) maxCo = Math.Max(maxCo, co[i]);
            if (maxCo > 0)
            {
                float f = _o.WeightCoVisitation / maxCo;
                for (int i = 0; i < n; i++) s[i] += f * co[i];
            }
        }

        double[]? aff = known ? _affinity[user] : null;
        if (aff is not null && _o.WeightCategory != 0)
        {
            double maxAff = 0;
            foreach (double a in aff) maxAff = Math.Max(maxAff, a);
            if (maxAff > 0)
            {
                double f = _o.WeightCategory / maxAff;
                for (int i = 0; i < n; i++)
                {
                    int[] cats = i < _itemCategories.Count ? _itemCategories[i] : [];
                    if (cats.Length == 0) continue;
                    double sum = 0;
                    foreach (int c in cats) sum += aff[c];
                    s[i] += (float)(f * sum / cats.Length);
                }
            }
        }

        foreach (int x in exclude) if (x < n) s[x] = float.NegativeInfinity;
        if (_o.ExcludeSeen && known && _seen[user] is { } seen)
        {
            foreach (int x in seen) if (x < n) s[x] = float.NegativeInfinity;
        }

        return s;
    }

    public HybridState Snapshot()
    {
        int users = 0;
        for (int u = 0; u < _seen.Length; u++) if (_seen[u] is not null) users = u + 1;
        var st = new HybridState
        {
            Isgd = _isgd.Snapshot(),
            Popularity = _pop.Snapshot(),
            CoVisitation = _covis.Snapshot(),
            Recent = new int[users][],
            Seen = new int[users][],
            CategoryAffinity = new double[users][],
            Replay = (long[])_replay.Clone(),
            ReplayWritten = _replayWritten,
            ReplayRngState = _replayRng.State,
        };
        for (int u = 0; u < users; u++)
        {
            st.Recent[u] = _recent[u]?.ToArray() ?? [];
            st.Seen[u] = _seen[u]?.ToArray() ?? [];
            st.CategoryAffinity[u] = _affinity[u] is { } a ? (double[])a.Clone() : [];
        }

        return st;
    }

    public static HybridRecommender Restore(HybridState state, HybridOptions options, IReadOnlyList<int[]> itemCategories, int categoryCount)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new HybridRecommender(options, itemCategories, categoryCount, state);
    }

    private void EnsureUser(int user)
    {
        if (user < _recent.Length) return;
        int cap = Math.Max(user + 1, _recent.Length * 2);
        Array.Resize(ref _recent, cap);
        Array.Resize(ref _seen, cap);
        Array.Resize(ref _affinity, cap);
    }
}
