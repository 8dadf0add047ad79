namespace RecoFlow.Recommendations.Ranking;

/// <summary>
/// Beyond-accuracy measures of recommendation lists. Accumulate lists with <see cref="Observe"/>, then read the
/// aggregate properties:
/// <list type="bullet">
/// <item>ILD (intra-list diversity): mean over lists of the mean pairwise distance 1 − S(a, b).</item>
/// <item>Coverage: distinct recommended items / catalogue size.</item>
/// <item>Gini of exposure: Gini coefficient of how often each catalogue item was recommended (0 = equal exposure, →1 = concentrated).</item>
/// <item>Novelty: mean over recommended items of −log₂ p(i), p(i) supplied by the caller at recommendation time.</item>
/// </list>
/// </summary>
public sealed class DiversityAudit
{
    private readonly IItemSimilarity _similarity;
    private long[] _exposure;
    private double _ildSum;
    private long _lists;
    private double _noveltySum;
    private long _noveltyItems;

    public DiversityAudit(IItemSimilarity similarity, int catalogueSize)
    {
        _similarity = similarity ?? throw new ArgumentNullException(nameof(similarity));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(catalogueSize);
        _exposure = new long[catalogueSize];
        CatalogueSize = catalogueSize;
    }

    public int CatalogueSize { get; }

    public long Lists => _lists;

    public double IntraListDiversity => _lists == 0 ? 0 : _ildSum / _lists;

    public double Novelty => _noveltyItems == 0 ? 0 : _noveltySum / _noveltyItems;

    public double Coverage
    {
        get
        {
            int distinct = 0;
            for (int i = 0; i < CatalogueSize; i++) if (_exposure[i] > 0) distinct++;
            return (double)distinct / CatalogueSize;
        }
    }

    public double GiniOfExposure => Gini(_exposure.AsSpan(0, CatalogueSize));

    /// <summary>
    /// Records one list. <paramref name="popularityProbability"/>[i] is p(i) for the novelty term (pass an empty
    /// span to skip novelty).
    /// </summary>
    public void Observe(ReadOnlySpan<int> list, ReadOnlySpan<double> popularityProbability)
    {
        _lists++;
        _ildSum += ListDiversity(list, _similarity);
        foreach (int item in list)
        {
            if (item >= _exposure.Length) Array.Resize(ref _exposure, Math.Max(item + 1, _exposure.Length * 2));
            _exposure[item]++;
            if (!popularityProbability.IsEmpty)
            {
                _noveltySum += -Math.Log2(popularityProbability[item]);
                _noveltyItems++;
            }
        }
    }

    /// <summary>Records novelty terms directly (−log₂ p for each item of a list).</summary>
    public void ObserveNovelty(double sumOfMinusLog2P, int items)
    {
        _noveltySum += sumOfMinusLog2P;
        _noveltyItems += items;
    }

    /// <summary>Mean pairwise distance 1 − S(a, b) over the list (0 for fewer than two items).</summary>
    public static double ListDiversity(ReadOnlySpan<int> list, IItemSimilarity similarity)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        if (list.Length < 2) return 0;
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < list.Length; a++)
        {
            for (int b = a + 1; b < list.Length; b++)
            {
                sum += 1 - similarity.Similarity(list[a], list[b]);
                pairs++;
            }
        }

        return sum / pairs;
    }

    /// <summary>Gini coefficient of non-negative counts: Σ(2i − n − 1)·x₍ᵢ₎ / (n·Σx) over ascending x, i = 1..n.</summary>
    public static double Gini(ReadOnlySpan<long> counts)
    {
        int n = counts.Length;
        if (n == 0) return 0;
        var sorted = counts.ToArray();
        Array.Sort(sorted);
        double total = 0, weighted = 0;
        for (int i = 0; i < n; i++)
        {
            total += sorted[i];
            weighted += (2.0 * (i + 1) - n - 1) * sorted[i];
        }

        return total == 0 ? 0 : weighted / (n * total);
    }
}
