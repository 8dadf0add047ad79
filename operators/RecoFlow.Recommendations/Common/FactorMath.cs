namespace RecoFlow.Recommendations.Common;

/// <summary>Dense factor-matrix arithmetic shared by the matrix-factorisation models.</summary>
public static class FactorMath
{
    /// <summary>
    /// Writes p_u·q_i for items 0..n−1 of the row-major item factors <paramref name="q"/> (k per item), 0 for items not
    /// in <paramref name="itemKnown"/>, and clears the rest of <paramref name="scores"/>.
    /// </summary>
    public static void ScoreAll(ReadOnlySpan<float> pu, float[] q, bool[] itemKnown, int n, int k, Span<float> scores)
    {
        for (int i = 0; i < n; i++)
        {
            if (!itemKnown[i])
            {
                scores[i] = 0f;
                continue;
            }

            ReadOnlySpan<float> qi = q.AsSpan(i * k, k);
            float dot = 0;
            for (int f = 0; f < k; f++) dot += pu[f] * qi[f];
            scores[i] = dot;
        }

        scores[n..].Clear();
    }
}
