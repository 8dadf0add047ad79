using MessagePack;
using RecoFlow.Recommendations.Common;

namespace RecoFlow.Recommendations.Models;

/// <summary>Hyper-parameters of <see cref="BatchMatrixFactorization"/>.</summary>
public sealed record BatchMfOptions(int Factors = 32, int Epochs = 30, float LearnRate = 0.05f, float Regularization = 0.01f, int NegativesPerPositive = 4, float InitStdDev = 0.1f, ulong Seed = 7);

/// <summary>Snapshot of a trained <see cref="BatchMatrixFactorization"/>.</summary>
[MessagePackObject]
public sealed class BatchMfState
{
    [Key(0)] public int Factors { get; set; }
    [Key(1)] public int UserCount { get; set; }
    [Key(2)] public int ItemCount { get; set; }
    [Key(3)] public float[] UserFactors { get; set; } = [];
    [Key(4)] public float[] ItemFactors { get; set; } = [];
    [Key(5)] public bool[] UserKnown { get; set; } = [];
    [Key(6)] public bool[] ItemKnown { get; set; } = [];
}

/// <summary>
/// Matrix factorisation trained once, offline, on positive-only pairs: several epochs of SGD over the pairs in a
/// seeded shuffled order, each positive with target 1 followed by <c>NegativesPerPositive</c> items drawn uniformly
/// from the training items with target 0 (squared loss, L2). Used as the "train once, never update" baseline.
/// </summary>
public sealed class BatchMatrixFactorization
{
    private readonly int _k;
    private readonly float[] _p;
    private readonly float[] _q;
    private readonly bool[] _userKnown;
    private readonly bool[] _itemKnown;

    private BatchMatrixFactorization(int k, float[] p, float[] q, bool[] uk, bool[] ik)
    {
        _k = k;
        _p = p;
        _q = q;
        _userKnown = uk;
        _itemKnown = ik;
    }

    public int Factors => _k;

    public int ItemCount => _itemKnown.Length;

    public bool IsKnownUser(int user) => user >= 0 && user < _userKnown.Length && _userKnown[user];

    public bool IsKnownItem(int item) => item >= 0 && item < _itemKnown.Length && _itemKnown[item];

    /// <summary>Trains on (user, item) positive pairs with dense non-negative ids.</summary>
    public static BatchMatrixFactorization Train(IReadOnlyList<(int User, int Item)> positives, BatchMfOptions options)
    {
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(options);
        int users = 0, items = 0;
        foreach ((int u, int i) in positives)
        {
            users = Math.Max(users, u + 1);
            items = Math.Max(items, i + 1);
        }

        int k = options.Factors;
        var rng = new SplitMix64(options.Seed);
        var p = new float[users * k];
        var q = new float[items * k];
        var uk = new bool[users];
        var ik = new bool[items];
        foreach ((int u, int i) in positives)
        {
            uk[u] = true;
            ik[i] = true;
        }

        for (int j = 0; j < p.Length; j++) p[j] = (float)(rng.NextGaussian() * options.InitStdDev);
        for (int j = 0; j < q.Length; j++) q[j] = (float)(rng.NextGaussian() * options.InitStdDev);
        var trainItems = new List<int>();
        for (int i = 0; i < items; i++) if (ik[i]) trainItems.Add(i);

        var order = new int[positives.Count];
        for (int j = 0; j < order.Length; j++) order[j] = j;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            for (int j = order.Length - 1; j > 0; j--)
            {
                int r = rng.NextInt(j + 1);
                (order[j], order[r]) = (order[r], order[j]);
            }

            foreach (int idx in order)
            {
                (int u, int i) = positives[idx];
                Step(p, q, k, u, i, 1f, options.LearnRate, options.Regularization);
                for (int n = 0; n < options.NegativesPerPositive; n++)
                {
                    int neg = trainItems[rng.NextInt(trainItems.Count)];
                    if (neg != i) Step(p, q, k, u, neg, 0f, options.LearnRate, options.Regularization);
                }
            }
        }

        return new BatchMatrixFactorization(k, p, q, uk, ik);
    }

    /// <summary>Writes p_u·q_i for all known items below scores.Length (0 otherwise); false for an unknown user.</summary>
    public bool ScoreAll(int user, Span<float> scores)
    {
        if (!IsKnownUser(user)) return false;
        FactorMath.ScoreAll(_p.AsSpan(user * _k, _k), _q, _itemKnown, Math.Min(scores.Length, _itemKnown.Length), _k, scores);
        return true;
    }

    public BatchMfState Snapshot() => new()
    {
        Factors = _k,
        UserCount = _userKnown.Length,
        ItemCount = _itemKnown.Length,
        UserFactors = (float[])_p.Clone(),
        ItemFactors = (float[])_q.Clone(),
        UserKnown = (bool[])_userKnown.Clone(),
        ItemKnown = (bool[])_itemKnown.Clone(),
    };

    public static BatchMatrixFactorization Restore(BatchMfState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new BatchMatrixFactorization(s.Factors, (float[])s.UserFactors.Clone(), (float[])s.ItemFactors.Clone(), (bool[])s.UserKnown.Clone(), (bool[])s.ItemKnown.Clone());
    }

    private static void Step(float[] p, float[] q, int k, int u, int i, float target, float eta, float lambda)
    {
        Span<float> pu = p.AsSpan(u * k, k);
        Span<float> qi = q.AsSpan(i * k, k);
        float dot = 0;
        for (int f = 0; f < k; f++) dot += pu[f] * qi[f];
        float err = target - dot;
        for (int f = 0; f < k; f++)
        {
            float pf = pu[f], qf = qi[f];
            pu[f] = pf + eta * (err * qf - lambda * pf);
            qi[f] = qf + eta * (err * pf - lambda * qf);
        }
    }
}
