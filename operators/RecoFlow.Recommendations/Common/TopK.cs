namespace RecoFlow.Recommendations.Common;

/// <summary>Allocation-free top-K selection over a dense score array.</summary>
public static class TopK
{
    /// <summary>
    /// Writes the indices of the <paramref name="destination"/>.Length highest finite scores among the first
    /// <paramref name="count"/> entries, best first; ties go to the lower index. Entries equal to
    /// <see cref="float.NegativeInfinity"/> or NaN are never selected. Returns how many indices were written.
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, int count, Span<int> destination)
    {
        int k = destination.Length;
        if (k == 0)
        {
            return 0;
        }

        Span<float> best = k <= 256 ? stackalloc float[k] : new float[k];
        int filled = 0;
        for (int i = 0; i < count; i++)
        {
            float s = scores[i];
            if (!(s > float.NegativeInfinity))
            {
                continue;
            }

            if (filled == k && s <= best[k - 1])
            {
                continue;
            }

            int pos = filled < k ? filled : k - 1;
            // Shift lower scores down; strict '<' keeps earlier (lower) indices ahead on ties.
            while (pos > 0 && best[pos - 1] < s)
            {
                if (pos < k)
                {
                    best[pos] = best[pos - 1];
                    destination[pos] = destination[pos - 1];
                }

                pos--;
            }

            best[pos] = s;
            destination[pos] = i;
            if (filled < k)
            {
                filled++;
            }
        }

        return filled;
    }
}
