using MessagePack;
using RecoFlow.Recommendations.Common;

namespace RecoFlow.Recommendations.Models;

/// <summary>Hyper-parameters of <see cref="IsgdModel"/>.</summary>
/// <param name="NegativeSamples">Extension beyond plain ISGD: after each positive step, this many items drawn uniformly
/// from the known items get an SGD step with target 0 (0 = the original positive-only algorithm).</param>
public sealed record IsgdOptions(int Factors = 16, float LearnRate = 0.05f, float Regularization = 0.01f, float InitStdDev = 0.1f, ulong Seed = 42, int NegativeSamples = 0);

/// <summary>Snapshot of an <see cref="IsgdModel"/>.</summary>
[MessagePackObject]
public sealed class IsgdState
{
    [Key(0)] public int Factors { get; set; }
    [Key(1)] public float LearnRate { get; set; }
    [Key(2)] public float Regularization { get; set; }
    [Key(3)] public float InitStdDev { get; set; }
    [Key(4)] public ulong RngState { get; set; }
    [Key(5)] public int UserCount { get; set; }
    [Key(6)] public int ItemCount { get; set; }
    [Key(7)] public float[] UserFactors { get; set; } = [];
    [Key(8)] public float[] ItemFactors { get; set; } = [];
    [Key(9)] public bool[] UserKnown { get; set; } = [];
    [Key(10)] public bool[] ItemKnown { get; set; } = [];
    [Key(11)] public int NegativeSamples { get; set; }
    [Key(12)] public int[] KnownItemList { get; set; } = [];
}

/// <summary>
/// Incremental matrix factorisation for positive-only feedback (ISGD; Vinagre, Jorge &amp; Gama, 2014).
/// For each positive pair (u, i): factors of a new user or item are drawn lazily from N(0, σ²); then with
/// err = 1 − p_u·q_i, p_u ← p_u + η(err·q_i − λ·p_u) and q_i ← q_i + η(err·p_u − λ·q_i) (both from the old values).
/// Users and items are dense non-negative integers; storage grows on demand. Deterministic for a given seed and
/// event order. State: all factor vectors, which ids are known, and the random generator.
/// </summary>
public sealed class IsgdModel
{
    private readonly int _k;
    private readonly float _eta;
    private readonly float _lambda;
    private readonly float _initStd;
    private readonly SplitMix64 _rng;
    private float[] _p;
    private float[] _q;
    private bool[] _userKnown;
    private bool[] _itemKnown;
    private readonly int _negatives;
    private readonly List<int> _knownItems = [];
    private int _users;
    private int _items;

    public IsgdModel(IsgdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Factors <= 0) throw new ArgumentOutOfRangeException(nameof(options), "Factors must be positive");
        _k = options.Factors;
        _eta = options.LearnRate;
        _lambda = options.Regularization;
        _initStd = options.InitStdDev;
        _negatives = options.NegativeSamples;
        _rng = new SplitMix64(options.Seed);
        _p = new float[64 * _k];
        _q = new float[64 * _k];
        _userKnown = new bool[64];
        _itemKnown = new bool[64];
    }

    private IsgdModel(IsgdState s)
    {
        _k = s.Factors;
        _eta = s.LearnRate;
        _lambda = s.Regularization;
        _initStd = s.InitStdDev;
        _negatives = s.NegativeSamples;
        _knownItems.AddRange(s.KnownItemList);
        _rng = new SplitMix64(s.RngState);
        _users = s.UserCount;
        _items = s.ItemCount;
        _p = (float[])s.UserFactors.Clone();
        _q = (float[])s.ItemFactors.Clone();
        _userKnown = (bool[])s.UserKnown.Clone();
        _itemKnown = (bool[])s.ItemKnown.Clone();
    }

    public int Factors => _k;

    /// <summary>One past the largest item id seen.</summary>
    public int ItemCount => _items;

    public bool IsKnownUser(int user) => user < _users && _userKnown[user];

    public bool IsKnownItem(int item) => item < _items && _itemKnown[item];

    /// <summary>One ISGD step on a positive pair (target 1), then the configured negative steps (target 0).</summary>
    public void Update(int user, int item)
    {
        EnsureUser(user);
        EnsureItem(item);
        Step(user, item, 1f);
        for (int j = 0; j < _negatives && _knownItems.Count > 1; j++)
        {
            int neg = _knownItems[_rng.NextInt(_knownItems.Count)];
            if (neg != item) Step(user, neg, 0f);
        }
    }

    private void Step(int user, int item, float target)
    {
        Span<float> pu = _p.AsSpan(user * _k, _k);
        Span<float> qi = _q.AsSpan(item * _k, _k);
        float dot = 0;
        for (int f = 0; f < _k; f++) dot += pu[f] * qi[f];
        float err = target - dot;
        for (int f = 0; f < _k; f++)
        {
            float pf = pu[f];
            float qf = qi[f];
            pu[f] = pf + _eta * (err * qf - _lambda * pf);
            qi[f] = qf + _eta * (err * pf - _lambda * qf);
        }
    }

    /// <summary>p_u·q_i, or 0 when the user or the item is unknown.</summary>
    public float Score(int user, int item)
    {
        if (!IsKnownUser(user) || !IsKnownItem(item)) return 0f;
        ReadOnlySpan<float> pu = _p.AsSpan(user * _k, _k);
        ReadOnlySpan<float> qi = _q.AsSpan(item * _k, _k);
        float dot = 0;
        for (int f = 0; f < _k; f++) dot += pu[f] * qi[f];
        return dot;
    }

    /// <summary>
    /// Writes p_u·q_i for every item id below <paramref name="scores"/>.Length (0 for unknown items). Returns false
    /// (and writes nothing) when the user is unknown.
    /// </summary>
    public bool ScoreAll(int user, Span<float> scores)
    {
        if (!IsKnownUser(user)) return false;
        FactorMath.ScoreAll(_p.AsSpan(user * _k, _k), _q, _itemKnown, Math.Min(scores.Length, _items), _k, scores);
        return true;
    }

    public IsgdState Snapshot() => new()
    {
        Factors = _k,
        LearnRate = _eta,
        Regularization = _lambda,
        InitStdDev = _initStd,
        RngState = _rng.State,
        UserCount = _users,
        ItemCount = _items,
        UserFactors = _p[..(_users * _k)],
        ItemFactors = _q[..(_items * _k)],
        UserKnown = _userKnown[.._users],
        ItemKnown = _itemKnown[.._items],
        NegativeSamples = _negatives,
        KnownItemList = [.. _knownItems],
    };

    public static IsgdModel Restore(IsgdState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new IsgdModel(state);
    }

    private void EnsureUser(int user)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        if (user >= _userKnown.Length)
        {
            int cap = Math.Max(user + 1, _userKnown.Length * 2);
            Array.Resize(ref _userKnown, cap);
            Array.Resize(ref _p, cap * _k);
        }

        if (user >= _users) _users = user + 1;
        if (!_userKnown[user])
        {
            _userKnown[user] = true;
            Init(_p.AsSpan(user * _k, _k));
        }
    }

    private void EnsureItem(int item)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        if (item >= _itemKnown.Length)
        {
            int cap = Math.Max(item + 1, _itemKnown.Length * 2);
            Array.Resize(ref _itemKnown, cap);
            Array.Resize(ref _q, cap * _k);
        }

        if (item >= _items) _items = item + 1;
        if (!_itemKnown[item])
        {
            _itemKnown[item] = true;
            _knownItems.Add(item);
            Init(_q.AsSpan(item * _k, _k));
        }
    }

    private void Init(Span<float> v)
    {
        for (int f = 0; f < v.Length; f++) v[f] = (float)(_rng.NextGaussian() * _initStd);
    }
}
