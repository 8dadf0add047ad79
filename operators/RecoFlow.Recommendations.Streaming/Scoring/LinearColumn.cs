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
        if (double.IsNaN(reference)) reference = log2;
        if (log2 - reference > RebaseAt)
        {
            double f = Math.Pow(2, reference - log2);
            for (int j = 0; j < column.Count; j++) column[j] *= f;
            reference = log2;
        }
        column[i] = Math.Pow(2, log2 - reference);
        return reference;
    }
}
