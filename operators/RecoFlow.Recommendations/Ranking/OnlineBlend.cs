using System.Numerics.Tensors;

namespace RecoFlow.Recommendations.Ranking;

/// <summary>The learned weights of an <see cref="OnlineBlend"/> and their AdaGrad accumulators (MessagePack, contractless).</summary>
public sealed class OnlineBlendState
{
    public float[] Weights { get; set; } = [];
    public float[] SquaredGradients { get; set; } = [];

    /// <summary>Lists learned from (the label was among the candidates).</summary>
    public long Updates { get; set; }

    /// <summary>Lists whose label was not among the candidates (nothing to learn from).</summary>
    public long Misses { get; set; }
}

/// <summary>
/// A linear blend of candidate features, learned online as a listwise ranking model: the score of candidate c is
/// w·x_c, and after each list whose user then chose item y from it (the user's next positive event), the weights take
/// one AdaGrad step down the gradient of the softmax cross-entropy −log(e^{w·x_y} / Σ_c e^{w·x_c}), that is
/// Σ_c p_c·x_c − x_y. This maximises the probability of the chosen item against the other candidates of the same list:
/// the quantity recall@K rewards. Learning is prequential: a list is scored before its label is learned.
/// <para>The priors (<see cref="OnlineBlendOptions.Priors"/>) are the weights before the first label; each job (each
/// scoring subtask) then learns its own from its own labels, so no weight is tuned on one log and carried to another.</para>
/// </summary>
public sealed class OnlineBlend(OnlineBlendOptions options)
{
    private float[] _p = [];

    public OnlineBlendOptions Options => options;

    /// <summary>A fresh state at the priors.</summary>
    public OnlineBlendState NewState() => new()
    {
        Weights = (float[])options.Priors.Clone(),
        SquaredGradients = new float[options.Priors.Length],
    };

    /// <summary>Scores <paramref name="count"/> candidates whose features are rows of <paramref name="features"/> (row-major, one row of <see cref="OnlineBlendOptions.FeatureCount"/> per candidate).</summary>
    public void Score(OnlineBlendState state, ReadOnlySpan<float> features, int count, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(state);
        int f = options.FeatureCount;
        ReadOnlySpan<float> w = Align(state).Weights;
        for (int c = 0; c < count; c++) scores[c] = TensorPrimitives.Dot(w, features.Slice(c * f, f));
    }

    /// <summary>
    /// One learning step from a list of <paramref name="count"/> candidates (with their <paramref name="scores"/> under
    /// the current weights) of which the user chose <paramref name="chosen"/> (−1: none of them; counted, nothing learned).
    /// </summary>
    public void Learn(OnlineBlendState state, ReadOnlySpan<float> features, ReadOnlySpan<float> scores, int count, int chosen)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (chosen < 0 || count < 2)
        {
            state.Misses++;
            return;
        }
        Align(state);
        int f = options.FeatureCount;
        if (_p.Length < count) _p = new float[Math.Max(count, 2 * _p.Length)];
        Span<float> p = _p.AsSpan(0, count);
        StableSoftmax.Compute(scores[..count], p);
        Span<float> grad = stackalloc float[f];
        grad.Clear();
        for (int c = 0; c < count; c++)
            if (p[c] > 1e-7f) TensorPrimitives.MultiplyAdd(features.Slice(c * f, f), p[c], grad, grad);
        TensorPrimitives.Subtract(grad, features.Slice(chosen * f, f), grad);
        var w = state.Weights;
        var g2 = state.SquaredGradients;
        float rate = options.LearnRate, l2 = options.L2;
        for (int j = 0; j < f; j++)
        {
            float g = grad[j] + l2 * w[j];
            g2[j] += g * g;
            w[j] -= rate * g / (MathF.Sqrt(g2[j]) + 1e-6f);
        }
        state.Updates++;
    }

    /// <summary>Grows a state written with fewer features (new features start at their priors).</summary>
    private OnlineBlendState Align(OnlineBlendState state)
    {
        int f = options.FeatureCount;
        if (state.Weights.Length == f) return state;
        var w = (float[])options.Priors.Clone();
        var g = new float[f];
        Array.Copy(state.Weights, w, Math.Min(f, state.Weights.Length));
        Array.Copy(state.SquaredGradients, g, Math.Min(f, state.SquaredGradients.Length));
        state.Weights = w;
        state.SquaredGradients = g;
        return state;
    }
}

/// <summary>Settings of <see cref="OnlineBlend"/>.</summary>
/// <param name="Priors">The weights before the first label, one per feature.</param>
/// <param name="LearnRate">AdaGrad's base step.</param>
/// <param name="L2">L2 penalty pulling the weights toward zero.</param>
public sealed record OnlineBlendOptions(float[] Priors, float LearnRate = 0.05f, float L2 = 1e-4f)
{
    public int FeatureCount => Priors.Length;
}
