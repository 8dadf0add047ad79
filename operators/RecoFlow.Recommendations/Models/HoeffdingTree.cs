using MessagePack;

namespace RecoFlow.Recommendations.Models;

/// <summary>Hyper-parameters of <see cref="HoeffdingTree"/>.</summary>
/// <param name="NumAttributes">Number of numeric input attributes.</param>
/// <param name="NumClasses">Number of classes (≥ 2).</param>
/// <param name="GracePeriod">Examples a leaf must see between split attempts.</param>
/// <param name="SplitConfidence">δ of the Hoeffding bound (probability of choosing the wrong attribute).</param>
/// <param name="TieThreshold">τ: split anyway once the bound ε falls below it.</param>
/// <param name="SplitPoints">Candidate thresholds per attribute, evenly spaced between the observed min and max.</param>
/// <param name="MaxDepth">Leaves at this depth never split.</param>
public sealed record HoeffdingTreeOptions(
    int NumAttributes,
    int NumClasses = 2,
    int GracePeriod = 200,
    double SplitConfidence = 1e-7,
    double TieThreshold = 0.05,
    int SplitPoints = 10,
    int MaxDepth = 20);

/// <summary>One node of a <see cref="HoeffdingTreeState"/>; leaves keep statistics, inner nodes a threshold test.</summary>
[MessagePackObject]
public sealed class HoeffdingNodeState
{
    [Key(0)] public bool IsLeaf { get; set; }
    [Key(1)] public int Attribute { get; set; }
    [Key(2)] public double Threshold { get; set; }
    [Key(3)] public int Left { get; set; }
    [Key(4)] public int Right { get; set; }
    [Key(5)] public int Depth { get; set; }
    [Key(6)] public double[] ClassCounts { get; set; } = [];
    [Key(7)] public double WeightAtLastEval { get; set; }
    /// <summary>Gaussian observers, [attribute * classes + class] × (weight, mean, m2, min, max) flattened.</summary>
    [Key(8)] public double[] Observers { get; set; } = [];
}

/// <summary>Snapshot of a <see cref="HoeffdingTree"/>.</summary>
[MessagePackObject]
public sealed class HoeffdingTreeState
{
    [Key(0)] public int NumAttributes { get; set; }
    [Key(1)] public int NumClasses { get; set; }
    [Key(2)] public int GracePeriod { get; set; }
    [Key(3)] public double SplitConfidence { get; set; }
    [Key(4)] public double TieThreshold { get; set; }
    [Key(5)] public int SplitPoints { get; set; }
    [Key(6)] public int MaxDepth { get; set; }
    [Key(7)] public List<HoeffdingNodeState> Nodes { get; set; } = [];
}

/// <summary>
/// Hoeffding tree (VFDT; Domingos &amp; Hulten, 2000) for numeric attributes. Each leaf keeps class counts and, per
/// attribute and class, a Gaussian observer (weight, mean, variance via Welford, min, max). Every
/// <c>GracePeriod</c> examples a leaf evaluates candidate binary splits x[a] ≤ t (t evenly spaced in [min, max] of
/// a), estimating the class mass on each side from the Gaussians, and scores them by information gain. With G₁, G₂
/// the best gains of the two best attributes (G₂ = 0 with a single attribute, the "no split" option) and the
/// Hoeffding bound ε = √(R² ln(1/δ) / 2n), R = log₂ C, it splits when G₁ − G₂ &gt; ε or ε &lt; τ (and G₁ &gt; 0).
/// New leaves start with the class distribution estimated for their side. Predictions are Laplace-smoothed
/// class frequencies of the leaf the example falls into. Deterministic (no randomness).
/// </summary>
public sealed class HoeffdingTree
{
    private const int ObsStride = 5;
    private readonly HoeffdingTreeOptions _o;
    private readonly List<HoeffdingNodeState> _nodes = [];

    public HoeffdingTree(HoeffdingTreeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.NumClasses < 2) throw new ArgumentOutOfRangeException(nameof(options), "NumClasses must be ≥ 2");
        if (options.NumAttributes < 1) throw new ArgumentOutOfRangeException(nameof(options), "NumAttributes must be ≥ 1");
        _o = options;
        _nodes.Add(NewLeaf(0, new double[options.NumClasses]));
    }

    private HoeffdingTree(HoeffdingTreeOptions options, List<HoeffdingNodeState> nodes)
    {
        _o = options;
        _nodes = nodes;
    }

    /// <summary>
    /// A tree that works directly on <paramref name="state"/> (no copy): learning changes the state object, so a
    /// caller that keeps the state in checkpointed state needs no separate snapshot step.
    /// </summary>
    public static HoeffdingTree Over(HoeffdingTreeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var o = new HoeffdingTreeOptions(state.NumAttributes, state.NumClasses, state.GracePeriod, state.SplitConfidence, state.TieThreshold, state.SplitPoints, state.MaxDepth);
        if (state.Nodes.Count == 0) state.Nodes.Add(new HoeffdingTree(o)._nodes[0]);
        return new HoeffdingTree(o, state.Nodes);
    }

    /// <summary>An empty tree's state with these options (to be used through <see cref="Over"/>).</summary>
    public static HoeffdingTreeState NewState(HoeffdingTreeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new HoeffdingTree(options).Snapshot();
    }

    public int NodeCount => _nodes.Count;

    public int LeafCount
    {
        get
        {
            int n = 0;
            foreach (HoeffdingNodeState node in _nodes) if (node.IsLeaf) n++;
            return n;
        }
    }

    /// <summary>Learns one labelled example.</summary>
    public void Learn(ReadOnlySpan<double> x, int label, double weight = 1.0)
    {
        if (x.Length != _o.NumAttributes) throw new ArgumentException("wrong number of attributes", nameof(x));
        if ((uint)label >= (uint)_o.NumClasses) throw new ArgumentOutOfRangeException(nameof(label));
        int id = Sort(x);
        HoeffdingNodeState leaf = _nodes[id];
        leaf.ClassCounts[label] += weight;
        for (int a = 0; a < _o.NumAttributes; a++)
        {
            int o = (a * _o.NumClasses + label) * ObsStride;
            double[] obs = leaf.Observers!;
            double v = x[a];
            double w0 = obs[o];
            double w1 = w0 + weight;
            double delta = v - obs[o + 1];
            double mean = obs[o + 1] + delta * weight / w1;
            obs[o + 2] += weight * delta * (v - mean);
            obs[o + 1] = mean;
            obs[o] = w1;
            if (w0 == 0 || v < obs[o + 3]) obs[o + 3] = v;
            if (w0 == 0 || v > obs[o + 4]) obs[o + 4] = v;
        }

        double total = Sum(leaf.ClassCounts);
        if (total - leaf.WeightAtLastEval >= _o.GracePeriod && leaf.Depth < _o.MaxDepth)
        {
            leaf.WeightAtLastEval = total;
            TrySplit(id);
        }
    }

    /// <summary>Writes P(class | x) for every class into <paramref name="probabilities"/>.</summary>
    public void PredictProba(ReadOnlySpan<double> x, Span<double> probabilities)
    {
        if (probabilities.Length != _o.NumClasses) throw new ArgumentException("wrong number of classes", nameof(probabilities));
        HoeffdingNodeState leaf = _nodes[Sort(x)];
        double total = Sum(leaf.ClassCounts) + _o.NumClasses;
        for (int c = 0; c < _o.NumClasses; c++) probabilities[c] = (leaf.ClassCounts[c] + 1) / total;
    }

    /// <summary>P(class = 1 | x) for a binary tree.</summary>
    public double PredictPositive(ReadOnlySpan<double> x)
    {
        Span<double> p = stackalloc double[_o.NumClasses];
        PredictProba(x, p);
        return p[1];
    }

    public HoeffdingTreeState Snapshot()
    {
        var s = new HoeffdingTreeState
        {
            NumAttributes = _o.NumAttributes,
            NumClasses = _o.NumClasses,
            GracePeriod = _o.GracePeriod,
            SplitConfidence = _o.SplitConfidence,
            TieThreshold = _o.TieThreshold,
            SplitPoints = _o.SplitPoints,
            MaxDepth = _o.MaxDepth,
        };
        foreach (HoeffdingNodeState n in _nodes) s.Nodes.Add(Copy(n, n.Observers));

        return s;
    }

    public static HoeffdingTree Restore(HoeffdingTreeState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var t = new HoeffdingTree(new HoeffdingTreeOptions(s.NumAttributes, s.NumClasses, s.GracePeriod, s.SplitConfidence, s.TieThreshold, s.SplitPoints, s.MaxDepth));
        t._nodes.Clear();
        foreach (HoeffdingNodeState n in s.Nodes) t._nodes.Add(Copy(n, n.IsLeaf ? n.Observers : []));

        return t;
    }

    /// <summary>A copy of node <paramref name="n"/> sharing no array with it, with (a copy of) <paramref name="observers"/> as its split statistics.</summary>
    private static HoeffdingNodeState Copy(HoeffdingNodeState n, double[] observers) => new()
    {
        IsLeaf = n.IsLeaf,
        Attribute = n.Attribute,
        Threshold = n.Threshold,
        Left = n.Left,
        Right = n.Right,
        Depth = n.Depth,
        ClassCounts = (double[])n.ClassCounts.Clone(),
        WeightAtLastEval = n.WeightAtLastEval,
        Observers = (double[])observers.Clone(),
    };

    private int Sort(ReadOnlySpan<double> x)
    {
        int id = 0;
        while (!_nodes[id].IsLeaf)
        {
            HoeffdingNodeState n = _nodes[id];
            id = x[n.Attribute] <= n.Threshold ? n.Left : n.Right;
        }

        return id;
    }

    private void TrySplit(int id)
    {
        HoeffdingNodeState leaf = _nodes[id];
        int c = _o.NumClasses;
        double n = Sum(leaf.ClassCounts);
        double parentEntropy = Entropy(leaf.ClassCounts);
        if (parentEntropy <= 0) return;

        double best = 0, second = 0, bestThreshold = 0;
        int bestAttr = -1;
        var left = new double[c];
        var right = new double[c];
        var bestLeft = new double[c];
        var bestRight = new double[c];
        for (int a = 0; a < _o.NumAttributes; a++)
        {
            double min = double.MaxValue, max = double.MinValue;
            for (int k = 0; k < c; k++)
            {
                int o = (a * c + k) * ObsStride;
                if (leaf.Observers![o] <= 0) continue;
                min = Math.Min(min, leaf.Observers[o + 3]);
                max = Math.Max(max, leaf.Observers[o + 4]);
            }

            if (!(max > min)) continue;
            double attrBest = 0, attrThreshold = 0;
            for (int s = 1; s <= _o.SplitPoints; s++)
            {
                double t = min + (max - min) * s / (_o.SplitPoints + 1);
                for (int k = 0; k < c; k++)
                {
                    int o = (a * c + k) * ObsStride;
                    double w = leaf.Observers![o];
                    double frac = 0;
                    if (w > 0)
                    {
                        double mean = leaf.Observers[o + 1];
                        double sd = w > 1 ? Math.Sqrt(leaf.Observers[o + 2] / (w - 1)) : 0;
                        if (t < leaf.Observers[o + 3]) frac = 0;
                        else if (t >= leaf.Observers[o + 4]) frac = 1;
                        else frac = sd > 0 ? NormalCdf((t - mean) / sd) : (mean <= t ? 1 : 0);
                    }

                    left[k] = w * frac;
                    right[k] = w - left[k];
                }

                double nl = Sum(left), nr = Sum(right);
                if (nl <= 0 || nr <= 0) continue;
                double gain = parentEntropy - (nl * Entropy(left) + nr * Entropy(right)) / (nl + nr);
                if (gain > attrBest)
                {
                    attrBest = gain;
                    attrThreshold = t;
                    if (gain > best)
                    {
                        left.CopyTo(bestLeft, 0);
                        right.CopyTo(bestRight, 0);
                    }
                }
            }

            if (attrBest > best)
            {
                second = best;
                best = attrBest;
                bestAttr = a;
                bestThreshold = attrThreshold;
            }
            else if (attrBest > second)
            {
                second = attrBest;
            }
        }

        if (bestAttr < 0 || best <= 0) return;
        double r = Math.Log2(c);
        double eps = Math.Sqrt(r * r * Math.Log(1 / _o.SplitConfidence) / (2 * n));
        if (best - second > eps || eps < _o.TieThreshold)
        {
            int l = _nodes.Count;
            _nodes.Add(NewLeaf(leaf.Depth + 1, bestLeft));
            _nodes.Add(NewLeaf(leaf.Depth + 1, bestRight));
            leaf.IsLeaf = false;
            leaf.Attribute = bestAttr;
            leaf.Threshold = bestThreshold;
            leaf.Left = l;
            leaf.Right = l + 1;
            leaf.Observers = [];
        }
    }

    private HoeffdingNodeState NewLeaf(int depth, double[] classCounts) => new()
    {
        IsLeaf = true,
        Depth = depth,
        ClassCounts = (double[])classCounts.Clone(),
        WeightAtLastEval = Sum(classCounts),
        Observers = new double[_o.NumAttributes * _o.NumClasses * ObsStride],
    };

    private static double Sum(double[] v)
    {
        double s = 0;
        for (int i = 0; i < v.Length; i++) s += v[i];
        return s;
    }

    private static double Entropy(double[] counts)
    {
        double n = Sum(counts);
        if (n <= 0) return 0;
        double h = 0;
        foreach (double c in counts)
        {
            if (c <= 0) continue;
            double p = c / n;
            h -= p * Math.Log2(p);
        }

        return h;
    }

    /// <summary>Standard normal CDF via erf (Abramowitz &amp; Stegun 7.1.26, |error| &lt; 1.5e-7).</summary>
    internal static double NormalCdf(double z)
    {
        double x = Math.Abs(z) / Math.Sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}
