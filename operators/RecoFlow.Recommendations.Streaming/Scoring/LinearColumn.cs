namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// A column of forward-decayed values (popularity) kept linear relative to a reference exponent: values arrive in the
/// log₂ domain (log₂ Σ w·2^(t/h)) and are stored as 2^(log₂ − reference), rebased when a value drifts
/// <see cref="RebaseAt"/> above the reference, so they never overflow and ratios stay exact.
/// </summary>
public static class LinearColumn
{
    /// <summary>How far (in log₂) a value may rise above the reference before the column is rebased.</summary>
    public const double RebaseAt = 500;

    /// <summary>
    /// Sets <paramref name="column"/>[i] to the linear value of <paramref name="log2"/> (log₂ domain of forward decay)
    /// relative to <paramref name="reference"/>; the column is rebased first when the value would drift too far above
    /// it. Returns the reference now in use (set by the first value; −∞ stores 0).
    /// </summary>
    public static double Set(List<double> column, int i, double log2, double reference)
    {
        if (double.IsNegativeInfinity(log2))
        {
            column[i] = 0;
            return reference;
        }
        if (Rebase(log2, ref reference, out double f))
            for (int j = 0; j < column.Count; j++) column[j] *= f;
        column[i] = Math.Pow(2, log2 - reference);
        return reference;
    }

    /// <summary>
    /// Makes <paramref name="reference"/> fit a new value <paramref name="log2"/>: set by the first value (NaN before it),
    /// moved up to the value when it would lie more than <see cref="RebaseAt"/> above. True when it moved from an earlier
    /// reference: every linear value kept relative to that one must then be multiplied by <paramref name="factor"/>.
    /// </summary>
    public static bool Rebase(double log2, ref double reference, out double factor)
    {
        factor = 1;
        if (double.IsNaN(reference))
        {
            reference = log2;
            return false;
        }
        if (!(log2 - reference > RebaseAt)) return false;
        factor = Math.Pow(2, reference - log2);
        reference = log2;
        return true;
    }
}
