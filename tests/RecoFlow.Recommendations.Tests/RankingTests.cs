using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Tests;

public class RankingTests
{
    // Items 0-3 share category 0 ("drama"), items 4-5 category 1, item 6 category 2; relevance falls with the id.
    private static readonly int[][] Cats = [[0], [0], [0], [0], [1], [1], [2]];
    private static readonly int[] Candidates = [0, 1, 2, 3, 4, 5, 6];
    private static readonly float[] Relevance = [1.0f, 0.95f, 0.9f, 0.85f, 0.5f, 0.45f, 0.2f];

    [Fact]
    public void RankRelevanceIgnoresTheScoreScaleAndKeepTopFixesTheHead()
    {
        Assert.Equal([0, -Math.Log(2), -Math.Log(3)], DppReranker.Normalise([5f, 1f, -100f], DppRelevance.LogRank));
        Assert.Equal([1, 0.5, 0], DppReranker.Normalise([5f, 1f, -100f], DppRelevance.Rank));
        var dest = new int[3];
        new DppReranker(0.0, relevance: DppRelevance.LogRank, keepTop: 2).Rerank(Candidates, Relevance, new CategoryCosineSimilarity(Cats), dest);
        Assert.Equal([0, 1], dest[..2]);
        Assert.NotEqual(0, Cats[dest[2]][0]);
    }

    [Fact]
    public void GenrePoolAddsTheBestOfEveryCategoryWithoutExcludedItemsOrDuplicates()
    {
        // Categories 0-3 (4 = none of the items): items 0-3 in 0, 4-5 in {0, 1}, 6 in 2, 7 in {2, 3}, 8 in 3, 9 none.
        int[][] cats = [[0], [0], [0], [0], [0, 1], [0, 1], [2], [2, 3], [3], []];
        float[] scores = [9f, 8f, 7f, 6f, 5f, 4f, 3f, float.NegativeInfinity, 1f, 0.5f];
        var pool = new List<int>();

        int n = CandidatePool.Build(scores, 2, cats, 5, 1, pool);

        // Top 2 (0, 1) plus the best of 1 (4), 2 (6; 7 is excluded) and 3 (8), best first; 0's best is already in.
        Assert.Equal(5, n);
        Assert.Equal([0, 1, 4, 6, 8], pool);
        Assert.DoesNotContain(7, pool);

        CandidatePool.Build(scores, 3, cats, 5, 2, pool);
        Assert.Equal(pool.Count, pool.Distinct().Count());
        Assert.Equal([0, 1, 2, 4, 5, 6, 8], pool);
        for (int c = 0; c < 4; c++) Assert.Contains(pool, i => cats[i].Contains(c));
        Assert.Equal(0, CandidatePool.Build(scores, 0, cats, 5, 0, pool));
        Assert.Empty(pool);
    }

    [Fact]
    public void ScoreRelevanceKeepsTheScores() =>
        Assert.Equal([5, 1, -100], DppReranker.Normalise([5f, 1f, -100f], DppRelevance.Score));

    [Fact]
    public void SoftmaxRelevanceIsTheScoresProbabilityInPercent()
    {
        double[] r = DppReranker.Normalise([2f, 1f, 0f, 1000f], DppRelevance.Softmax);
        Assert.Equal(100, r.Sum(), 3);
        Assert.Equal(100, r[3], 3); // no overflow: one score far above the rest takes it all
        double[] small = DppReranker.Normalise([2f, 1f, 0f], DppRelevance.Softmax);
        double z = Math.Exp(2) + Math.Exp(1) + 1;
        Assert.Equal(100 * Math.Exp(2) / z, small[0], 4);
        Assert.Equal(100 * Math.Exp(1) / z, small[1], 4);
        Assert.Equal(100 / z, small[2], 4);
    }

    [Fact]
    public void CategoryCosineIsTheCosineOfIndicatorVectors()
    {
        var sim = new CategoryCosineSimilarity([[0], [0, 1], [0, 2], [3], []]);
        Assert.Equal(1 / Math.Sqrt(2), sim.Similarity(0, 1), 12);
        Assert.Equal(0.5, sim.Similarity(1, 2), 12);
        Assert.Equal(0, sim.Similarity(0, 3));
        Assert.Equal(0, sim.Similarity(3, 4));
        Assert.Equal(1, sim.Similarity(4, 4));
    }

    [Fact]
    public void SmallThetaPicksDiverseItems()
    {
        var dest = new int[3];
        int n = new DppReranker(0.1).Rerank(Candidates, Relevance, new CategoryJaccardSimilarity(Cats), dest);
        Assert.Equal(3, n);
        Assert.Equal([0, 4, 6], dest); // one per category, the most relevant of each
    }

    [Fact]
    public void ThetaOneGivesTopRelevanceAndNearOneAlmostSo()
    {
        var sim = new CategoryJaccardSimilarity(Cats);
        var dest = new int[3];
        new DppReranker(1.0).Rerank(Candidates, Relevance, sim, dest);
        Assert.Equal([0, 1, 2], dest);
        new DppReranker(0.99).Rerank(Candidates, Relevance, sim, dest);
        Assert.Equal([0, 1, 2], dest);
    }

    [Fact]
    public void DiversityGrowsAsThetaFalls()
    {
        var sim = new CategoryJaccardSimilarity(Cats);
        double previous = -1;
        foreach (double theta in new[] { 1.0, 0.9, 0.5, 0.0 })
        {
            var dest = new int[4];
            new DppReranker(theta).Rerank(Candidates, Relevance, sim, dest);
            double ild = DiversityAudit.ListDiversity(dest, sim);
            Assert.True(ild >= previous, $"θ={theta}: ILD {ild} < {previous}");
            previous = ild;
        }
    }

    [Fact]
    public void FastGreedyMatchesNaiveGreedyAndBruteForce()
    {
        var rng = new SplitMix64(17);
        int bruteForceMatches = 0;
        const int Trials = 100;
        for (int trial = 0; trial < Trials; trial++)
        {
            int n = 6, k = 3, dim = 4;
            double[] kernel = RandomKernel(rng, n, dim);
            var fast = new int[k];
            Assert.Equal(k, DppReranker.GreedyMap(kernel, n, k, 1e-12, fast));

            // Naive greedy: at each step add the item maximising det(L_Y ∪ {i}) computed from scratch.
            var chosen = new List<int>();
            for (int step = 0; step < k; step++)
            {
                int best = -1;
                double bestDet = double.NegativeInfinity;
                for (int i = 0; i < n; i++)
                {
                    if (chosen.Contains(i)) continue;
                    double d = Det(kernel, n, [.. chosen, i]);
                    if (d > bestDet) { bestDet = d; best = i; }
                }

                chosen.Add(best);
            }

            Assert.Equal(chosen, fast);

            // Brute force over all k-subsets: greedy is an approximation, so compare rather than demand equality.
            double opt = 0;
            for (int a = 0; a < n; a++)
                for (int b = a + 1; b < n; b++)
                    for (int c = b + 1; c < n; c++)
                        opt = Math.Max(opt, Det(kernel, n, [a, b, c]));
            double greedy = Det(kernel, n, fast);
            Assert.True(greedy <= opt * (1 + 1e-9));
            if (greedy >= opt * (1 - 1e-9)) bruteForceMatches++;
        }

        Assert.True(bruteForceMatches >= Trials * 0.6, $"greedy found the exact MAP in only {bruteForceMatches}/{Trials}");
    }

    [Fact]
    public void GreedyFindsUniqueMapOnClusteredInput()
    {
        // Two tight clusters {0,1,2} and {3,4}; item 0 has the highest quality (1.2, the others 1). The MAP pair takes
        // one item from each cluster, and (0, 3) wins by quality and near-orthogonality.
        double[][] emb = [[1, 0, 0], [0.99, 0.14, 0], [0.98, 0, 0.2], [0.05, 1, 0], [0.2, 0.98, 0]];
        int n = emb.Length;
        var kernel = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                kernel[i * n + j] = (i == 0 ? 1.2 : 1) * (j == 0 ? 1.2 : 1) * Dot(emb[i], emb[j]) / Math.Sqrt(Dot(emb[i], emb[i]) * Dot(emb[j], emb[j]));
        var sel = new int[2];
        DppReranker.GreedyMap(kernel, n, 2, 1e-12, sel);
        int bestA = -1, bestB = -1;
        double best = 0;
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                double d = Det(kernel, n, [a, b]);
                if (d > best) { best = d; bestA = a; bestB = b; }
            }

        Assert.Equal([0, 3], [bestA, bestB]);
        Assert.Equal([0, 3], sel.Order().ToArray());
    }

    [Fact]
    public void EmbeddingSimilarityIsScaledCosine()
    {
        var sim = new EmbeddingCosineSimilarity([1, 0, 0, 1, -1, 0], 2);
        Assert.Equal(0.5, sim.Similarity(0, 1), 9);
        Assert.Equal(0.0, sim.Similarity(0, 2), 9);
        Assert.Equal(1.0, sim.Similarity(2, 2), 9);
    }

    [Fact]
    public void SerendipityFillsShareOfSlotsFromOutsideUsualCategories()
    {
        // 20 ranked candidates: the first 15 in usual category 0, then 5 in category 3.
        var cats = new int[20][];
        var ranked = new int[20];
        for (int i = 0; i < 20; i++)
        {
            ranked[i] = i;
            cats[i] = i < 15 ? [0] : [3];
        }

        bool[] usual = SerendipityInjector.UsualCategories([5.0, 0, 0, 0.5], top: 1);
        Assert.Equal([true, false, false, false], usual);
        var dest = new int[10];
        Assert.Equal(10, new SerendipityInjector(0.2).Inject(ranked, cats, usual, dest));
        int outside = dest.Count(i => cats[i][0] == 3);
        Assert.Equal(2, outside);
        Assert.Equal(0, dest[0]);                     // top slot keeps the best item
        Assert.Equal([15, 16], dest.Where(i => i >= 15).ToArray()); // best outside items, in rank order
        Assert.Equal(dest.Length, dest.Distinct().Count());

        Assert.Equal(ranked[..10], Inject(new SerendipityInjector(0), ranked, cats, usual));
    }

    [Fact]
    public void DiversityAuditMeasures()
    {
        Assert.Equal(0, DiversityAudit.Gini([5, 5, 5, 5]), 9);
        Assert.Equal(0.75, DiversityAudit.Gini([0, 0, 0, 8]), 9);
        var sim = new CategoryJaccardSimilarity([[0], [0], [1], [0, 1]]);
        Assert.Equal(0, DiversityAudit.ListDiversity([0, 1], sim), 9);
        Assert.Equal((1 + 1 + 0) / 3.0, DiversityAudit.ListDiversity([0, 1, 2], sim), 9);
        var audit = new DiversityAudit(sim, 4);
        audit.Observe([0, 2], [0.5, 0.25, 0.25, 0.125]);
        audit.Observe([0, 1], [0.5, 0.25, 0.25, 0.125]);
        Assert.Equal(0.5, audit.IntraListDiversity, 9);
        Assert.Equal(0.75, audit.Coverage, 9);
        Assert.Equal((1 + 2 + 1 + 2) / 4.0, audit.Novelty, 9);
        Assert.True(audit.GiniOfExposure > 0);
    }

    private static int[] Inject(SerendipityInjector s, int[] ranked, int[][] cats, bool[] usual)
    {
        var d = new int[10];
        s.Inject(ranked, cats, usual, d);
        return d;
    }

    private static double[] RandomKernel(SplitMix64 rng, int n, int dim)
    {
        var v = new double[n * dim];
        for (int i = 0; i < v.Length; i++) v[i] = rng.NextGaussian();
        var q = new double[n];
        for (int i = 0; i < n; i++) q[i] = Math.Exp(rng.NextDouble());
        var kernel = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int f = 0; f < dim; f++) dot += v[i * dim + f] * v[j * dim + f];
                kernel[i * n + j] = q[i] * dot * q[j] + (i == j ? 1e-3 : 0);
            }

        return kernel;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>Determinant of the principal submatrix on <paramref name="idx"/> by Gaussian elimination.</summary>
    private static double Det(double[] kernel, int n, int[] idx)
    {
        int m = idx.Length;
        var a = new double[m, m];
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) a[i, j] = kernel[idx[i] * n + idx[j]];
        double det = 1;
        for (int c = 0; c < m; c++)
        {
            int p = c;
            for (int r = c + 1; r < m; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[p, c])) p = r;
            if (a[p, c] == 0) return 0;
            if (p != c)
            {
                for (int j = 0; j < m; j++) (a[c, j], a[p, j]) = (a[p, j], a[c, j]);
                det = -det;
            }

            det *= a[c, c];
            for (int r = c + 1; r < m; r++)
            {
                double f = a[r, c] / a[c, c];
                for (int j = c; j < m; j++) a[r, j] -= f * a[c, j];
            }
        }

        return det;
    }
}
