using System.Globalization;
using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Recommenders;

/// <summary>One test event as the hybrid (without DPP) saw it: its candidate pool and the event's item.</summary>
internal sealed class LabCase
{
    public required int User { get; init; }
    public required int[] Ids { get; init; }
    public required float[] Scores { get; init; }
    /// <summary>Position of the event's item in the pool, −1 when not in it.</summary>
    public int Hit { get; set; } = -1;
    /// <summary>The user's earlier positive events (count) and their category counts, at the time of the request.</summary>
    public required int Positives { get; init; }
    public required double[] GenreCounts { get; init; }
}

/// <summary>
/// Records the hybrid's candidate pool at every test event (the hybrid's state does not depend on what it served, so
/// the pools are those every re-ranking variant sees) and the event's item; serves the undiversified top K.
/// </summary>
internal sealed class PoolRecorder(HybridRecommender inner, IReadOnlyList<int[]> categories, int categoryCount, int top, int perGenre) : IRecommender
{
    private readonly List<int> _ids = [];
    private readonly List<float> _scores = [];
    private readonly Dictionary<int, double[]> _genres = [];
    private readonly Dictionary<int, int> _positives = [];
    private LabCase? _pending;

    public List<LabCase> Cases { get; } = [];

    public string Name => "hybrid (pool recorder)";

    public void Learn(in FeedbackEvent e)
    {
        if (_pending is { } p && p.User == e.User && e.IsPositive)
        {
            p.Hit = Array.IndexOf(p.Ids, e.Item);
            _pending = null;
        }

        if (e.IsPositive)
        {
            _positives[e.User] = _positives.GetValueOrDefault(e.User) + 1;
            if (!_genres.TryGetValue(e.User, out double[]? g)) _genres[e.User] = g = new double[categoryCount];
            foreach (int c in e.Item < categories.Count ? categories[e.Item] : []) g[c]++;
        }

        inner.Learn(e);
    }

    public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination)
    {
        int n = inner.Candidates(user, exclude, top, perGenre, _ids, _scores);
        var c = new LabCase
        {
            User = user,
            Ids = [.. _ids],
            Scores = [.. _scores],
            Positives = _positives.GetValueOrDefault(user),
            GenreCounts = _genres.TryGetValue(user, out double[]? g) ? (double[])g.Clone() : new double[categoryCount],
        };
        Cases.Add(c);
        _pending = c;
        int m = Math.Min(k, n);
        for (int j = 0; j < m; j++) destination[j] = c.Ids[j];
        return m;
    }
}

internal static class DppLab
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Diagnose(List<LabCase> cases, IReadOnlyList<int[]> cats, int topN)
    {
        int n = cases.Count;
        Console.WriteLine($"cases {n}, in pool {cases.Count(c => c.Hit >= 0)}, in top 10 {cases.Count(c => c.Hit is >= 0 and < 10)}");
        // Hit rate by base rank.
        int[] edges = [0, 1, 2, 3, 5, 10, 20, 30, 50, 1000];
        Console.WriteLine("| base ranks | hits | per list per slot | new genre to user: slots, hit rate | known genre: slots, hit rate |");
        for (int b = 0; b + 1 < edges.Length; b++)
        {
            long hits = 0, slots = 0, newSlots = 0, newHits = 0;
            foreach (LabCase c in cases)
            {
                for (int j = edges[b]; j < Math.Min(edges[b + 1], c.Ids.Length); j++)
                {
                    if (j >= topN && b + 2 < edges.Length) continue;
                    bool isNew = IsNewGenre(c, cats, c.Ids[j]);
                    slots++;
                    if (isNew) newSlots++;
                    if (c.Hit == j) { hits++; if (isNew) newHits++; }
                }
            }

            Console.WriteLine(string.Create(Inv, $"| {edges[b] + 1}-{edges[b + 1]} | {hits} | {(double)hits / Math.Max(1, slots):0.00000} | {newSlots}, {(double)newHits / Math.Max(1, newSlots):0.00000} | {slots - newSlots}, {(double)(hits - newHits) / Math.Max(1, slots - newSlots):0.00000} |"));
        }

        // Heterogeneity: lists grouped by the user's earlier top-10 hit rate (prequential, smoothed).
        var userHits = new Dictionary<int, (int Lists, int Hits)>();
        double[] bucketLists = new double[6], bucketHits = new double[6];
        foreach (LabCase c in cases)
        {
            var (l, h) = userHits.GetValueOrDefault(c.User);
            double rate = (h + 0.1 * 2) / (l + 2.0);
            int b = rate < 0.05 ? 0 : rate < 0.1 ? 1 : rate < 0.15 ? 2 : rate < 0.25 ? 3 : rate < 0.4 ? 4 : 5;
            bucketLists[b]++;
            bool hit = c.Hit is >= 0 and < 10;
            if (hit) bucketHits[b]++;
            userHits[c.User] = (l + 1, h + (hit ? 1 : 0));
        }

        string[] names = ["<0.05", "0.05-0.1", "0.1-0.15", "0.15-0.25", "0.25-0.4", ">=0.4"];
        Console.WriteLine("| user's earlier top-10 hit rate | lists | top-10 recall |");
        for (int b = 0; b < 6; b++) Console.WriteLine(string.Create(Inv, $"| {names[b]} | {bucketLists[b]} | {bucketHits[b] / Math.Max(1, bucketLists[b]):0.0000} |"));
    }

    public static bool IsNewGenre(LabCase c, IReadOnlyList<int[]> cats, int item)
    {
        foreach (int g in item < cats.Count ? cats[item] : []) if (c.GenreCounts[g] > 0) return false;
        return true;
    }

    /// <summary>Recall@k and ILD of the lists a re-ranking function produces over the cases, in order.</summary>
    public static (double Recall, double Ild) Score(List<LabCase> cases, IItemSimilarity jaccard, Func<LabCase, int, int[]> rerank)
    {
        long hits = 0;
        double ild = 0;
        foreach (LabCase c in cases)
        {
            int[] list = rerank(c, 10);
            if (c.Hit >= 0 && Array.IndexOf(list, c.Ids[c.Hit]) >= 0) hits++;
            ild += DiversityAudit.ListDiversity(list, jaccard);
        }

        return (hits / (double)cases.Count, ild / cases.Count);
    }
}
