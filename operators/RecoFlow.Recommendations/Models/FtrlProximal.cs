using System.Text;
using MessagePack;

namespace RecoFlow.Recommendations.Models;

/// <summary>Hyper-parameters of <see cref="FtrlProximal"/> (names as in McMahan et al., 2013, Algorithm 1).</summary>
public sealed record FtrlOptions(double Alpha = 0.1, double Beta = 1.0, double L1 = 1.0, double L2 = 1.0, int HashBits = 20);

/// <summary>Snapshot of an <see cref="FtrlProximal"/> model.</summary>
[MessagePackObject]
public sealed class FtrlState
{
    [Key(0)] public double Alpha { get; set; }
    [Key(1)] public double Beta { get; set; }
    [Key(2)] public double L1 { get; set; }
    [Key(3)] public double L2 { get; set; }
    [Key(4)] public int HashBits { get; set; }
    /// <summary>Per-coordinate z (dense, 2^HashBits entries).</summary>
    [Key(5)] public double[] Z { get; set; } = [];
    /// <summary>Per-coordinate sum of squared gradients n.</summary>
    [Key(6)] public double[] N { get; set; } = [];
}

/// <summary>
/// Online logistic regression trained with FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the
/// Trenches", KDD 2013). Per-coordinate learning rates α/(β+√n_i), L1 and L2 regularisation; weights are computed
/// lazily from (z_i, n_i): w_i = 0 if |z_i| ≤ λ1, else −(z_i − sgn(z_i)λ1) / ((β + √n_i)/α + λ2).
/// Features are sparse (index, value) pairs in a hashed space of 2^HashBits coordinates; <see cref="HashFeature"/>
/// maps a feature name into it. Include a constant bias feature yourself if you want an intercept.
/// State: the z and n vectors.
/// </summary>
public sealed class FtrlProximal
{
    private readonly FtrlOptions _o;
    private readonly double[] _z;
    private readonly double[] _n;
    private readonly int _mask;

    public FtrlProximal(FtrlOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.HashBits is < 1 or > 28) throw new ArgumentOutOfRangeException(nameof(options), "HashBits must be in [1, 28]");
        _o = options;
        _z = new double[1 << options.HashBits];
        _n = new double[1 << options.HashBits];
        _mask = (1 << options.HashBits) - 1;
    }

    private FtrlProximal(FtrlOptions options, double[] z, double[] n)
    {
        _o = options;
        _z = z;
        _n = n;
        _mask = z.Length - 1;
    }

    /// <summary>
    /// A model that works directly on the arrays of <paramref name="state"/> (no copy): updates change the state
    /// object, so a caller that keeps it in checkpointed state needs no separate snapshot step. An empty state gets
    /// zero vectors of 2^HashBits entries.
    /// </summary>
    public static FtrlProximal Over(FtrlState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var o = new FtrlOptions(state.Alpha, state.Beta, state.L1, state.L2, state.HashBits);
        if (o.HashBits is < 1 or > 28) throw new ArgumentOutOfRangeException(nameof(state), "HashBits must be in [1, 28]");
        if (state.Z.Length == 0) state.Z = new double[1 << o.HashBits];
        if (state.N.Length == 0) state.N = new double[1 << o.HashBits];
        if (state.Z.Length != 1 << o.HashBits || state.N.Length != state.Z.Length) throw new ArgumentException("state vectors do not match HashBits", nameof(state));
        return new FtrlProximal(o, state.Z, state.N);
    }

    public int Dimension => _z.Length;

    /// <summary>FNV-1a 32-bit hash of the UTF-8 feature name, masked to the model's dimension.</summary>
    public int HashFeature(string feature)
    {
        ArgumentNullException.ThrowIfNull(feature);
        uint h = 2166136261;
        Span<byte> buf = feature.Length <= 128 ? stackalloc byte[feature.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(feature.Length)];
        int len = Encoding.UTF8.GetBytes(feature, buf);
        for (int i = 0; i < len; i++)
        {
            h ^= buf[i];
            h *= 16777619;
        }

        return (int)(h & (uint)_mask);
    }

    /// <summary>Current weight of a coordinate.</summary>
    public double Weight(int index)
    {
        double z = _z[index];
        if (Math.Abs(z) <= _o.L1) return 0;
        return -(z - Math.Sign(z) * _o.L1) / ((_o.Beta + Math.Sqrt(_n[index])) / _o.Alpha + _o.L2);
    }

    /// <summary>P(y = 1 | x) for sparse features x.</summary>
    public double Predict(ReadOnlySpan<int> indices, ReadOnlySpan<float> values) => Predict(indices, values, 0);

    /// <summary>P(y = 1 | x) = σ(offset + w·x): <paramref name="offset"/> is a fixed base margin the model corrects (e.g. a prior from another model).</summary>
    public double Predict(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, double offset) => Sigmoid(offset + Margin(indices, values));

    /// <summary>w·x.</summary>
    public double Margin(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        double margin = 0;
        for (int j = 0; j < indices.Length; j++) margin += Weight(indices[j] & _mask) * values[j];
        return margin;
    }

    /// <summary>One FTRL-Proximal step on example (x, y), y ∈ {0, 1}. Returns the prediction made before the update.</summary>
    public double Update(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, bool label) => Update(indices, values, label, 0);

    /// <summary>One FTRL-Proximal step on (x, y) with a fixed base margin <paramref name="offset"/> (see <see cref="Predict(ReadOnlySpan{int}, ReadOnlySpan{float}, double)"/>).</summary>
    public double Update(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, bool label, double offset)
    {
        if (indices.Length != values.Length) throw new ArgumentException("indices and values differ in length");
        double p = Predict(indices, values, offset);
        double y = label ? 1 : 0;
        for (int j = 0; j < indices.Length; j++)
        {
            int i = indices[j] & _mask;
            double g = (p - y) * values[j];
            double n = _n[i];
            double sigma = (Math.Sqrt(n + g * g) - Math.Sqrt(n)) / _o.Alpha;
            _z[i] += g - sigma * Weight(i);
            _n[i] = n + g * g;
        }

        return p;
    }

    public FtrlState Snapshot() => new()
    {
        Alpha = _o.Alpha,
        Beta = _o.Beta,
        L1 = _o.L1,
        L2 = _o.L2,
        HashBits = _o.HashBits,
        Z = (double[])_z.Clone(),
        N = (double[])_n.Clone(),
    };

    public static FtrlProximal Restore(FtrlState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var m = new FtrlProximal(new FtrlOptions(s.Alpha, s.Beta, s.L1, s.L2, s.HashBits));
        s.Z.CopyTo(m._z, 0);
        s.N.CopyTo(m._n, 0);
        return m;
    }

    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-Math.Clamp(x, -35, 35)));
}
