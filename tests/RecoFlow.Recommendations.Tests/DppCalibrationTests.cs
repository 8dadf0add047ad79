using MessagePack;
using MessagePack.Resolvers;
using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Tests;

public class DppCalibrationTests
{
    [Fact]
    public void ShrunkSimilarityScalesOffDiagonalEntriesAndKeepsDuplicatesSelectable()
    {
        int[][] cats = [[0], [0], [1]];
        var cos = new CategoryCosineSimilarity(cats);
        var shrunk = new ShrunkSimilarity(cos, 0.5);
        Assert.Equal(1, shrunk.Similarity(1, 1));
        Assert.Equal(0.5, shrunk.Similarity(0, 1), 12);
        Assert.Equal(0, shrunk.Similarity(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShrunkSimilarity(cos, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShrunkSimilarity(cos, 1.5));

        // Items 0 and 1 are duplicates: with the plain kernel the greedy MAP stops after one of them (det = 0); the
        // shrunk kernel is still positive definite, so both can be picked, at the price 1 − γ² for the second.
        Assert.Equal(1, Greedy(cos, 2, 2));
        Assert.Equal(2, Greedy(shrunk, 2, 2));
        var sel = new int[3];
        Assert.Equal(3, DppReranker.GreedyMap(Kernel(shrunk, 3), 3, 3, 1e-9, sel));
        Assert.Equal(0, sel[0]);
        Assert.Equal(2, sel[1]);   // the dissimilar item comes before the duplicate
    }

    [Fact]
    public void CalibratedRelevanceIsUsedAsGiven() =>
        Assert.Equal([12.5, 1, 0], DppReranker.Normalise([12.5f, 1f, 0f], DppRelevance.Calibrated));

    [Fact]
    public void CalibratorLearnsWhichCandidatesBecomeHitsOnlyFromLaterPositiveEvents()
    {
        int[][] cats = [[0], [0], [1], [1], [2], [2]];
        var cal = new HitCalibrator(cats, 3);
        var model = new HitCalibratorState();
        cal.Bind(model);
        var user = new HitCalibratorUser();
        int[] candidates = [0, 1, 2, 3, 4, 5];
        float[] scores = [1f, 0.9f, 0.8f, 0.7f, 0.6f, 0.5f];
        var p = new double[6];

        // Untrained: every candidate has probability ½; a list only scored waits for nothing, a served one for its label.
        cal.Predict(user, 0, candidates, scores, p, keep: false);
        Assert.All(p, v => Assert.Equal(0.5, v, 12));
        Assert.Null(user.PendingCandidates);
        cal.Predict(user, 0, candidates, scores, p, keep: true);
        Assert.Equal(candidates, user.PendingCandidates);
        cal.Learn(user, 3, positive: false, 2);                                // not positive: no label
        Assert.NotNull(user.PendingCandidates);
        Assert.All(model.Weights, w => Assert.Equal(0, w));

        // The user's next positive item is always the one at position 3 (rank 4) of the served list.
        for (int t = 0; t < 3000; t++)
        {
            cal.Predict(user, t * 1000L, candidates, scores, p, keep: true);
            cal.Learn(user, candidates[3], positive: true, t * 1000L + 1);
            Assert.Null(user.PendingCandidates);
        }

        cal.Predict(user, 10_000_000L, candidates, scores, p, keep: false);
        int best = Array.IndexOf(p, p.Max());
        Assert.Equal(3, best);
        Assert.True(p[3] > 0.5, $"p[3] = {p[3]}");
        Assert.True(p[0] < 0.2, $"p[0] = {p[0]}");
        Assert.Equal(model.Weights, cal.Weights.ToArray());
        Assert.Equal(3000, model.GlobalLists);
    }

    [Fact]
    public void CalibratorStateObjectsAreTheWholeModelAndRoundTrip()
    {
        int[][] cats = [[0], [0, 1], [1], [1, 2], [2], [2]];
        int[] candidates = [0, 1, 2, 3, 4, 5];
        float[] scores = [1f, 0.9f, 0.8f, 0.7f, 0.6f, 0.5f];
        var outer = new HitCalibrator(cats, 3);
        var model = new HitCalibratorState();
        var user = new HitCalibratorUser();
        outer.Bind(model);
        var p = new double[6];
        var q = new double[6];
        var rng = new Random(4);
        for (int t = 0; t < 500; t++)
        {
            long now = t * 60_000L;
            outer.Predict(user, now, candidates, scores, q, keep: true);
            int item = rng.Next(3) == 0 ? candidates[rng.Next(6)] : candidates[2];
            outer.Learn(user, item, rng.Next(4) != 0, now + 1);
        }

        Assert.True(model.GlobalLists > 0);
        Assert.Contains(model.Weights, w => w != 0);
        outer.Predict(user, 40_000_000L, candidates, scores, q, keep: true);
        Assert.NotNull(user.PendingFeatures);

        // A fresh calibrator over deserialised copies predicts and learns alike.
        var options = ContractlessStandardResolver.Options;
        var model2 = MessagePackSerializer.Deserialize<HitCalibratorState>(MessagePackSerializer.Serialize(model, options), options);
        var user2 = MessagePackSerializer.Deserialize<HitCalibratorUser>(MessagePackSerializer.Serialize(user, options), options);
        var restored = new HitCalibrator(cats, 3);
        restored.Bind(model2);
        outer.Learn(user, candidates[2], true, 40_000_001L);
        restored.Learn(user2, candidates[2], true, 40_000_001L);
        Assert.Equal(model.Weights, model2.Weights);
        Assert.Null(user2.PendingCandidates);
        outer.Predict(user, 40_100_000L, candidates, scores, p, keep: false);
        restored.Predict(user2, 40_100_000L, candidates, scores, q, keep: false);
        Assert.Equal(p, q);
        Assert.Null(user2.PendingCandidates);
    }

    private static int Greedy(IItemSimilarity sim, int n, int k) =>
        DppReranker.GreedyMap(Kernel(sim, n), n, k, 1e-9, new int[k]);

    private static double[] Kernel(IItemSimilarity sim, int n)
    {
        var kernel = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) kernel[i * n + j] = sim.Similarity(i, j);
        return kernel;
    }
}
