namespace RecoFlow.Operators.Ranking;

/// <summary>Similarity between two items in [0, 1], with Similarity(i, i) = 1. Used as the DPP kernel S and for ILD.</summary>
public interface IItemSimilarity
{
    double Similarity(int a, int b);
}

/// <summary>
/// Jaccard similarity of category sets, |A∩B| / |A∪B| (a positive semi-definite kernel on sets). Two different items
/// without categories have similarity 0. Category arrays must be sorted ascending (as <c>ItemCatalog</c> produces).
/// </summary>
public sealed class CategoryJaccardSimilarity : IItemSimilarity
{
    private readonly IReadOnlyList<int[]> _categories;

    public CategoryJaccardSimilarity(IReadOnlyList<int[]> itemCategories) => _categories = itemCategories ?? throw new ArgumentNullException(nameof(itemCategories));

    public double Similarity(int a, int b)
    {
        if (a == b) return 1;
        int[] x = a < _categories.Count ? _categories[a] : [];
        int[] y = b < _categories.Count ? _categories[b] : [];
        return Jaccard(x, y);
    }

    /// <summary>Jaccard index of two sorted id arrays (0 when both are empty).</summary>
    public static double Jaccard(ReadOnlySpan<int> x, ReadOnlySpan<int> y)
    {
        if (x.Length == 0 && y.Length == 0) return 0;
        int i = 0, j = 0, inter = 0;
        while (i < x.Length && j < y.Length)
        {
            if (x[i] == y[j]) { inter++; i++; j++; }
            else if (x[i] < y[j]) i++;
            else j++;
        }

        return (double)inter / (x.Length + y.Length - inter);
    }
}

/// <summary>
/// Similarity from item embeddings: S = (1 + cos(e_a, e_b)) / 2, which maps cosine into [0, 1] and stays positive
/// semi-definite (Chen, Zhang &amp; Zhou 2018 use the same form). Embeddings are rows of length <c>dimension</c>.
/// </summary>
public sealed class EmbeddingCosineSimilarity : IItemSimilarity
{
    private readonly float[] _emb;
    private readonly int _dim;

    public EmbeddingCosineSimilarity(float[] embeddings, int dimension)
    {
        _emb = embeddings ?? throw new ArgumentNullException(nameof(embeddings));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        _dim = dimension;
    }

    public double Similarity(int a, int b)
    {
        if (a == b) return 1;
        ReadOnlySpan<float> x = _emb.AsSpan(a * _dim, _dim);
        ReadOnlySpan<float> y = _emb.AsSpan(b * _dim, _dim);
        double dot = 0, nx = 0, ny = 0;
        for (int f = 0; f < _dim; f++)
        {
            dot += x[f] * y[f];
            nx += x[f] * x[f];
            ny += y[f] * y[f];
        }

        if (nx <= 0 || ny <= 0) return 0.5;
        return 0.5 * (1 + dot / Math.Sqrt(nx * ny));
    }
}
