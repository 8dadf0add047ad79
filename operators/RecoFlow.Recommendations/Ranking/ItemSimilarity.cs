namespace RecoFlow.Recommendations.Ranking;

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
/// Cosine of category indicator vectors, |A∩B| / √(|A|·|B|): the Gram matrix of the unit vectors 1_A/√|A|, so
/// positive semi-definite. As a DPP kernel it matches the Jaccard-based ILD metric better than Jaccard itself: the
/// greedy step's penalty for adding item i next to an (almost orthogonal) selection Y is about Σ_{j∈Y} S_ij², and
/// cos² = |A∩B|²/(|A||B|) is close to Jaccard for the small category sets of a catalogue (equal for {x} vs {x, y},
/// ¼ vs ⅓ for {x, y} vs {x, z}), whereas Jaccard² makes partial overlaps almost free. Two different items without
/// categories have similarity 0. Category arrays must be sorted ascending.
/// </summary>
public sealed class CategoryCosineSimilarity : IItemSimilarity
{
    private readonly IReadOnlyList<int[]> _categories;

    public CategoryCosineSimilarity(IReadOnlyList<int[]> itemCategories) => _categories = itemCategories ?? throw new ArgumentNullException(nameof(itemCategories));

    public double Similarity(int a, int b)
    {
        if (a == b) return 1;
        int[] x = a < _categories.Count ? _categories[a] : [];
        int[] y = b < _categories.Count ? _categories[b] : [];
        if (x.Length == 0 || y.Length == 0) return 0;
        int i = 0, j = 0, inter = 0;
        while (i < x.Length && j < y.Length)
        {
            if (x[i] == y[j]) { inter++; i++; j++; }
            else if (x[i] < y[j]) i++;
            else j++;
        }

        return inter / Math.Sqrt((double)x.Length * y.Length);
    }
}

/// <summary>
/// Shrinks another similarity toward the identity: S' = (1 − γ)·I + γ·S, i.e. γ·S(a, b) for a ≠ b and 1 for a = b.
/// A convex combination of two positive semi-definite matrices, so still a valid DPP kernel. With small γ the greedy
/// DPP step's penalty for a candidate i next to the selection Y, −log(1 − Σ…) ≈ γ²·Σ_{j∈Y} S_ij², is about linear in
/// the pairwise similarities like the ILD metric, instead of exploding for near-duplicates and being nearly free for
/// partial overlaps as with γ = 1.
/// </summary>
public sealed class ShrunkSimilarity : IItemSimilarity
{
    private readonly IItemSimilarity _inner;
    private readonly double _gamma;

    public ShrunkSimilarity(IItemSimilarity inner, double gamma)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (gamma is <= 0 or > 1 || double.IsNaN(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), "γ must be in (0, 1]");
        _gamma = gamma;
    }

    public double Gamma => _gamma;

    public double Similarity(int a, int b) => a == b ? 1 : _gamma * _inner.Similarity(a, b);
}

/// <summary>The similarity a DPP kernel is built from.</summary>
public enum DppKernel
{
    /// <summary>Category Jaccard (<see cref="CategoryJaccardSimilarity"/>), the similarity of the ILD metric.</summary>
    Jaccard,
    /// <summary>Category cosine (<see cref="CategoryCosineSimilarity"/>): its DPP penalty tracks the Jaccard ILD.</summary>
    Cosine,
}

/// <summary>Builds the DPP's similarity from its settings, for every recommender that re-ranks by DPP.</summary>
public static class DppSimilarity
{
    /// <summary>The category similarity of <paramref name="kernel"/> over <paramref name="itemCategories"/>, shrunk toward
    /// the identity (<see cref="ShrunkSimilarity"/>) when <paramref name="shrink"/> is below 1.</summary>
    public static IItemSimilarity Create(DppKernel kernel, IReadOnlyList<int[]> itemCategories, double shrink = 1)
    {
        IItemSimilarity similarity = kernel == DppKernel.Cosine ? new CategoryCosineSimilarity(itemCategories) : new CategoryJaccardSimilarity(itemCategories);
        return shrink < 1 ? new ShrunkSimilarity(similarity, shrink) : similarity;
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
