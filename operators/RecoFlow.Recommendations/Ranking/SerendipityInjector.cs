namespace RecoFlow.Recommendations.Ranking;

/// <summary>
/// Fills a configurable share of a recommendation list with items from outside the user's usual categories.
/// Of K slots, m = round(share·K) are serendipity slots at positions round((j+1)·K/(m+1)) − 1, j = 0..m−1 (spread
/// through the list, never only at the top). They take, in ranked order, the best candidates none of whose
/// categories is among the user's usual ones; the other slots take the remaining candidates in ranked order. When
/// too few "outside" candidates exist the slots fall back to ranked order.
/// </summary>
public sealed class SerendipityInjector
{
    private readonly double _share;

    public SerendipityInjector(double share)
    {
        if (share is < 0 or > 1 || double.IsNaN(share)) throw new ArgumentOutOfRangeException(nameof(share));
        _share = share;
    }

    public double Share => _share;

    /// <summary>
    /// The user's usual categories: the <paramref name="top"/> categories with the highest affinity (ties to the lower
    /// id), ignoring categories with zero affinity.
    /// </summary>
    public static bool[] UsualCategories(ReadOnlySpan<double> categoryAffinity, int top)
    {
        var usual = new bool[categoryAffinity.Length];
        for (int t = 0; t < top; t++)
        {
            int best = -1;
            for (int c = 0; c < categoryAffinity.Length; c++)
            {
                if (!usual[c] && categoryAffinity[c] > 0 && (best < 0 || categoryAffinity[c] > categoryAffinity[best])) best = c;
            }

            if (best < 0) break;
            usual[best] = true;
        }

        return usual;
    }

    /// <summary>
    /// Builds the final list from <paramref name="ranked"/> candidates (best first, longer than K for useful results).
    /// <paramref name="itemCategories"/>[item] are the item's category ids; <paramref name="usualCategories"/>[c] marks
    /// the user's usual categories. Returns how many ids were written to <paramref name="destination"/> (K = its length).
    /// </summary>
    public int Inject(ReadOnlySpan<int> ranked, IReadOnlyList<int[]> itemCategories, ReadOnlySpan<bool> usualCategories, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(itemCategories);
        int k = Math.Min(destination.Length, ranked.Length);
        int m = (int)Math.Round(_share * k, MidpointRounding.AwayFromZero);
        var slotIsSerendipity = new bool[k];
        for (int j = 0; j < m; j++)
        {
            int pos = (int)Math.Round((j + 1) * (double)k / (m + 1), MidpointRounding.AwayFromZero) - 1;
            pos = Math.Clamp(pos, 0, k - 1);
            while (slotIsSerendipity[pos] && pos < k - 1) pos++;
            slotIsSerendipity[pos] = true;
        }

        var used = new bool[ranked.Length];
        int outsideCursor = 0, rankedCursor = 0;
        for (int s = 0; s < k; s++)
        {
            int chosen = -1;
            if (slotIsSerendipity[s])
            {
                while (outsideCursor < ranked.Length)
                {
                    int idx = outsideCursor++;
                    if (!used[idx] && IsOutside(ranked[idx], itemCategories, usualCategories))
                    {
                        chosen = idx;
                        break;
                    }
                }
            }

            if (chosen < 0)
            {
                while (rankedCursor < ranked.Length && used[rankedCursor]) rankedCursor++;
                if (rankedCursor >= ranked.Length) return s;
                chosen = rankedCursor;
            }

            used[chosen] = true;
            destination[s] = ranked[chosen];
        }

        return k;
    }

    private static bool IsOutside(int item, IReadOnlyList<int[]> itemCategories, ReadOnlySpan<bool> usual)
    {
        int[] cats = item < itemCategories.Count ? itemCategories[item] : [];
        if (cats.Length == 0) return false;
        foreach (int c in cats)
        {
            if (c < usual.Length && usual[c]) return false;
        }

        return true;
    }
}
