using RecoFlow.Recommendations.Models;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>One item of the candidate pool with the blend's parts (each already weighted and normalised as in the blend).</summary>
public readonly record struct Candidate(int Index, int BaseRank, float Mf, float Co, float Pop, float Cat);

/// <summary>
/// State of the online re-scorers of one scoring subtask (broadcast state, so it is checkpointed with the subtask;
/// MessagePack contractless). The models work directly on these arrays (<see cref="FtrlProximal.Over"/>,
/// <see cref="HoeffdingTree.Over"/>). On a change of parallelism every subtask restores a copy of one subtask's
/// models, which is what broadcast state gives; they keep learning independently from there.
/// </summary>
public sealed class RescorerState
{
    public FtrlState? Ftrl { get; set; }
    public HoeffdingTreeState? Tree { get; set; }
    /// <summary>Training examples seen (positives and negatives).</summary>
    public long Examples { get; set; }
    /// <summary>Sum of the FTRL model's progressive log loss (prediction before each update).</summary>
    public double LogLoss { get; set; }
}

/// <summary>
/// Re-scores the blend's candidate pool online from feedback.
/// <para><b>FTRL-Proximal</b> (McMahan et al. 2013): logistic regression over hashed features — bias, base-rank
/// bucket, item id, and for each of the item's categories: the category, its crosses with time-of-day bucket (from
/// the context's sin/cos), day-of-week bucket, device type, location zone and the user (user × category), plus the
/// blend's parts as numeric features. The model predicts σ(prior + w·x) with the fixed prior −3 − ln(1 + base rank),
/// so with no training (w = 0) it keeps the blend's order and learns only a correction to it.</para>
/// <para><b>Hoeffding tree</b> (VFDT): classifies hit / no hit from the numeric attributes (−ln(1 + base rank),
/// the four blend parts, time-of-day sin/cos); its Laplace-smoothed leaf probability adds <c>ln p</c> to the score.</para>
/// <para>Training examples come from the lists the user was served: at the user's next positive event the event's item
/// is a positive (when it was in the pool) and the served items other than it are negatives (shown, not clicked).</para>
/// </summary>
public sealed class Rescorer
{
    private const int NumericAttributes = 7;
    private readonly bool _useFtrl;
    private readonly bool _useTree;
    private RescorerState? _for;
    private FtrlProximal? _ftrl;
    private HoeffdingTree? _tree;
    private int[] _idx = new int[64];
    private float[] _val = new float[64];
    private readonly double[] _x = new double[NumericAttributes];

    public Rescorer(bool ftrl, bool tree)
    {
        _useFtrl = ftrl;
        _useTree = tree;
    }

    public bool Enabled => _useFtrl || _useTree;

    /// <summary>A fresh state for these re-scorers.</summary>
    public static RescorerState NewState(int hashBits) => new()
    {
        Ftrl = new FtrlState { Alpha = 0.05, Beta = 1, L1 = 0.5, L2 = 1, HashBits = hashBits },
        Tree = HoeffdingTree.NewState(new HoeffdingTreeOptions(NumericAttributes, GracePeriod: 500, MaxDepth: 8)),
    };

    /// <summary>Writes the re-scored value of each candidate (higher is better).</summary>
    public void Score(RescorerState state, ReadOnlySpan<Candidate> pool, string userKey, ContextFeatures context, IReadOnlyList<string> ids, IReadOnlyList<int[]> categories, Span<double> score)
    {
        Bind(state);
        ulong user = Hash(userKey);
        for (int j = 0; j < pool.Length; j++)
        {
            double prior = Prior(pool[j].BaseRank);
            double v = prior;
            if (_useFtrl)
            {
                int m = Features(pool[j], user, context, ids, categories);
                v += _ftrl!.Margin(_idx.AsSpan(0, m), _val.AsSpan(0, m));
            }
            if (_useTree) v += Math.Log(_tree!.PredictPositive(Numeric(pool[j], context)));
            score[j] = v;
        }
    }

    /// <summary>Learns one example: <paramref name="candidate"/> was served (or in the pool) and was (not) the user's next positive item.</summary>
    public void Learn(RescorerState state, Candidate candidate, bool hit, string userKey, ContextFeatures context, IReadOnlyList<string> ids, IReadOnlyList<int[]> categories)
    {
        Bind(state);
        state.Examples++;
        if (_useFtrl)
        {
            int m = Features(candidate, Hash(userKey), context, ids, categories);
            double p = _ftrl!.Update(_idx.AsSpan(0, m), _val.AsSpan(0, m), hit, Prior(candidate.BaseRank));
            state.LogLoss -= Math.Log(Math.Clamp(hit ? p : 1 - p, 1e-12, 1));
        }
        if (_useTree) _tree!.Learn(Numeric(candidate, context), hit ? 1 : 0);
    }

    private static double Prior(int rank) => -3 - Math.Log(1 + rank);

    private void Bind(RescorerState state)
    {
        if (ReferenceEquals(state, _for)) return;
        state.Ftrl ??= NewState(16).Ftrl;
        state.Tree ??= NewState(16).Tree;
        _ftrl = FtrlProximal.Over(state.Ftrl!);
        _tree = HoeffdingTree.Over(state.Tree!);
        _for = state;
    }

    private double[] Numeric(Candidate c, ContextFeatures ctx)
    {
        _x[0] = -Math.Log(1 + c.BaseRank);
        _x[1] = c.Mf;
        _x[2] = c.Co;
        _x[3] = c.Pop;
        _x[4] = c.Cat;
        _x[5] = ctx.HourSin;
        _x[6] = ctx.HourCos;
        return _x;
    }

    private int Features(Candidate c, ulong user, ContextFeatures ctx, IReadOnlyList<string> ids, IReadOnlyList<int[]> categories)
    {
        int[] cats = c.Index < categories.Count ? categories[c.Index] : [];
        int need = 8 + cats.Length * 6;
        if (_idx.Length < need)
        {
            _idx = new int[need * 2];
            _val = new float[need * 2];
        }
        int m = 0;
        void Add(ulong h, float v)
        {
            _idx[m] = (int)(Mix(h) & 0x7FFFFFFF);
            _val[m++] = v;
        }
        ulong hour = (ulong)Bucket(ctx.HourSin, ctx.HourCos, 6), day = (ulong)Bucket(ctx.DaySin, ctx.DayCos, 7);
        ulong device = Hash(ctx.DeviceType), zone = Hash(ctx.Zone ?? "");
        Add(1, 1);
        Add(Mix(2, (ulong)Math.Min(c.BaseRank, 20)), 1);
        Add(Mix(3, Hash(ids[c.Index])), 1);
        Add(4, c.Mf);
        Add(5, c.Co);
        Add(6, c.Pop);
        Add(7, c.Cat);
        foreach (int g in cats)
        {
            ulong cg = Mix(10, (ulong)g);
            Add(cg, 1);
            Add(Mix(Mix(11, cg), hour), 1);
            Add(Mix(Mix(12, cg), day), 1);
            Add(Mix(Mix(13, cg), device), 1);
            Add(Mix(Mix(14, cg), zone), 1);
            Add(Mix(Mix(15, cg), user), 1);
        }
        return m;
    }

    private static int Bucket(double sin, double cos, int buckets)
    {
        double a = Math.Atan2(sin, cos);
        if (a < 0) a += 2 * Math.PI;
        return Math.Min(buckets - 1, (int)(a / (2 * Math.PI) * buckets));
    }

    private static ulong Mix(ulong a, ulong b) => Mix(a * 0x9E3779B97F4A7C15UL ^ b);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>FNV-1a over the UTF-16 code units (stable across processes).</summary>
    private static ulong Hash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in s) h = (h ^ ch) * 1099511628211UL;
        return h;
    }
}
