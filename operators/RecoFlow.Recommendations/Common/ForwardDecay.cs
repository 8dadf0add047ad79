namespace RecoFlow.Recommendations.Common;

/// <summary>
/// Forward exponential decay (Cormode et al. 2009): a weight added at time t is stored scaled by 2^((t − ref)/halfLife),
/// so nothing stored ever needs decaying on the way in; a score at time now is the stored sum times
/// 2^((ref − now)/halfLife). When the growth exponent passes a bound, the reference moves to t and the owner rescales
/// what it stored by <c>rebaseFactor</c>, keeping the numbers finite.
/// </summary>
public struct ForwardDecay
{
    public ForwardDecay(double halfLifeMs, long referenceMs = 0, bool hasReference = false)
    {
        HalfLifeMs = halfLifeMs;
        ReferenceMs = referenceMs;
        HasReference = hasReference;
    }

    public double HalfLifeMs { get; }
    public long ReferenceMs { get; private set; }
    public bool HasReference { get; private set; }

    /// <summary>
    /// The factor to store a weight added at <paramref name="timestampMs"/> with. If the reference had to move,
    /// <paramref name="rebaseFactor"/> is what every stored value must be multiplied by; otherwise it is 1.
    /// </summary>
    public double Growth(long timestampMs, double rebaseExponent, out double rebaseFactor)
    {
        rebaseFactor = 1;
        if (!HasReference)
        {
            ReferenceMs = timestampMs;
            HasReference = true;
        }
        var exp = (timestampMs - ReferenceMs) / HalfLifeMs;
        if (exp > rebaseExponent)
        {
            rebaseFactor = Math.Pow(2, (ReferenceMs - timestampMs) / HalfLifeMs);
            ReferenceMs = timestampMs;
            exp = 0;
        }
        return Math.Pow(2, exp);
    }

    /// <summary>Factor that turns stored (scaled) values into decayed values at <paramref name="nowMs"/>; 0 before any weight.</summary>
    public readonly double ScaleAt(long nowMs) => HasReference ? Math.Pow(2, (ReferenceMs - nowMs) / HalfLifeMs) : 0;
}
