namespace RecoFlow.Recommendations.Streaming.Models;

/// <summary>
/// Forward exponential decay in the log₂ domain: a weight w at time t is stored as log₂ w + t/h, sums are log-sum-exp,
/// and the decayed value at any time is 2^(stored − now/h). Values from different items compare directly.
/// </summary>
public static class LogDecay
{
    public static double Term(double weight, long timestampMs, double halfLifeMs) => Math.Log2(weight) + timestampMs / halfLifeMs;

    /// <summary>log₂(2^a + 2^b).</summary>
    public static double Add(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        double hi = Math.Max(a, b), lo = Math.Min(a, b);
        return hi + Math.Log2(1 + Math.Pow(2, lo - hi));
    }
}
