using RecoFlow.Recommendations.Common;

namespace RecoFlow.Recommendations.Ranking;

/// <summary>Which candidates a DPP re-ranker chooses from.</summary>
public enum DppPool
{
    /// <summary>The blend's top N items overall.</summary>
    Top,
    /// <summary>The blend's top N overall plus the best few items of each category (<see cref="CandidatePool.Build"/>).</summary>
    Genre,
}

/// <summary>Builds the candidate pool of a re-ranker from a dense score array.</summary>
public static class CandidatePool
{
    /// <summary>
    /// Writes into <paramref name="pool"/> (cleared first) the union of the <paramref name="top"/> highest-scoring
    /// items and, for every category c &lt; <paramref name="categoryCount"/>, the <paramref name="perCategory"/>
    /// highest-scoring items in c, ordered by score (best first; ties by lower item id), without duplicates.
    /// Items with a score of −∞ or NaN (excluded, seen, unknown) are never taken, so exclusions carry over from the
    /// scores. Items are the indices of <paramref name="scores"/>; an item's categories are
    /// <paramref name="itemCategories"/>[item] (none past its end). Returns the pool size.
    /// </summary>
    public static int Build(
        ReadOnlySpan<float> scores,
        int top,
        IReadOnlyList<int[]> itemCategories,
        int categoryCount,
        int perCategory,
        List<int> pool)
    {
        ArgumentNullException.ThrowIfNull(itemCategories);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfNegative(perCategory);
        ArgumentOutOfRangeException.ThrowIfNegative(categoryCount);
        pool.Clear();
        int n = scores.Length;
        var topIds = new int[Math.Min(top, n)];
        int got = TopK.Select(scores, n, topIds);
        var taken = new HashSet<int>(got + categoryCount * perCategory);
        for (int j = 0; j < got; j++)
        {
            taken.Add(topIds[j]);
            pool.Add(topIds[j]);
        }

        if (perCategory > 0 && categoryCount > 0)
        {
            // Per category, the best perCategory items so far, best first (insertion into a short sorted array).
            var best = new int[categoryCount * perCategory];
            var filled = new int[categoryCount];
            int limit = Math.Min(n, itemCategories.Count);
            for (int i = 0; i < limit; i++)
            {
                float s = scores[i];
                if (!(s > float.NegativeInfinity)) continue;
                foreach (int c in itemCategories[i])
                {
                    if ((uint)c >= (uint)categoryCount) continue;
                    int b = c * perCategory;
                    int f = filled[c];
                    if (f == perCategory && s <= scores[best[b + f - 1]]) continue;
                    int pos = f < perCategory ? f : perCategory - 1;
                    while (pos > 0 && scores[best[b + pos - 1]] < s)
                    {
                        best[b + pos] = best[b + pos - 1];
                        pos--;
                    }

                    best[b + pos] = i;
                    if (f < perCategory) filled[c] = f + 1;
                }
            }

            for (int c = 0; c < categoryCount; c++)
            {
                for (int t = 0; t < filled[c]; t++)
                {
                    int item = best[c * perCategory + t];
                    if (taken.Add(item)) pool.Add(item);
                }
            }
        }

        if (pool.Count > got)
        {
            int m = pool.Count;
            var ids = pool.ToArray();
            var keys = new float[m];
            for (int j = 0; j < m; j++) keys[j] = scores[ids[j]];
            var order = new int[m];
            for (int j = 0; j < m; j++) order[j] = j;
            Array.Sort(order, (a, b) => keys[b] != keys[a] ? keys[b].CompareTo(keys[a]) : ids[a].CompareTo(ids[b]));
            for (int j = 0; j < m; j++) pool[j] = ids[order[j]];
        }

        return pool.Count;
    }
}
