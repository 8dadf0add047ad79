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

    [Fact]
    public void PairwiseObjectiveChargesEachRepeatOfACategoryItsSummedSimilarity()
    {
        // Items 0-2 share category 0, item 3 has category 1; calibrated relevance (percent) is used as given.
        int[][] cats = [[0], [0], [0], [1]];
        int[] candidates = [0, 1, 2, 3];
        float[] relevance = [10f, 9f, 8f, 7.5f];
        var jaccard = new CategoryJaccardSimilarity(cats);
        var dest = new int[4];

        // θ = 0.5, gain = 0.5·r − 0.5·Σ S: after 0, item 1 gains 4.5 − 0.5 = 4 against item 3's 3.75; after 0 and 1,
        // item 2 gains 4 − 2·0.5 = 3 (two repeats), below item 3's 3.75.
        var pairwise = new DppReranker(0.5, relevance: DppRelevance.Calibrated, objective: DppObjective.Pairwise);
        Assert.Equal(DppObjective.Pairwise, pairwise.Objective);
        Assert.Equal(4, pairwise.Rerank(candidates, relevance, jaccard, dest));
        Assert.Equal([0, 1, 3, 2], dest);

        // θ = 0.9: item 2 gains 7.2 − 2·0.1 = 7 against item 3's 6.75, so the list stays in relevance order.
        new DppReranker(0.9, relevance: DppRelevance.Calibrated, objective: DppObjective.Pairwise).Rerank(candidates, relevance, jaccard, dest);
        Assert.Equal([0, 1, 2, 3], dest);

        // The log-det objective with the unshrunk Jaccard kernel cannot take a duplicate while the kernel is singular:
        // it takes 0 and 3, then fills up in relevance order.
        new DppReranker(0.5, relevance: DppRelevance.Calibrated).Rerank(candidates, relevance, jaccard, dest);
        Assert.Equal([0, 3, 1, 2], dest);

        // Picks held at the head (keepTop) count in the penalty of the later ones.
        new DppReranker(0.9, relevance: DppRelevance.Calibrated, keepTop: 3, objective: DppObjective.Pairwise).Rerank(candidates, relevance, jaccard, dest);
        Assert.Equal([0, 1, 2, 3], dest);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DppReranker(0.5, objective: (DppObjective)7));
    }

    [Fact]
    public void PairwiseObjectiveRaisesTheListsIldAsThetaFalls()
    {
        // 30 candidates in 5 categories, the most relevant ones concentrated in category 0.
        var cats = new int[30][];
        var relevance = new float[30];
        for (int i = 0; i < 30; i++)
        {
            cats[i] = [i < 12 ? 0 : i % 5];
            relevance[i] = 10f / (1 + i);
        }

        int[] candidates = Enumerable.Range(0, 30).ToArray();
        var jaccard = new CategoryJaccardSimilarity(cats);
        double previous = -1;
        double previousRelevance = double.MaxValue;
        foreach (double theta in new[] { 1.0, 0.95, 0.8, 0.5 })
        {
            var dest = new int[10];
            Assert.Equal(10, new DppReranker(theta, relevance: DppRelevance.Calibrated, objective: DppObjective.Pairwise).Rerank(candidates, relevance, jaccard, dest));
            double ild = DiversityAudit.ListDiversity(dest, jaccard);
            double sum = dest.Sum(i => (double)relevance[i]);
            Assert.True(ild > previous, $"θ {theta}: ILD {ild} after {previous}");
            Assert.True(sum < previousRelevance || theta == 1, $"θ {theta}: relevance {sum} after {previousRelevance}");
            previous = ild;
            previousRelevance = sum;
        }
    }

    [Fact]
    public void CalibratorWeighsTheCallersCandidateFeatures()
    {
        // Six candidates of one category in a fixed score order; the user's next item is always the one whose first
        // candidate feature is 1, at a random position. Only the candidate features tell it apart.
        int[][] cats = [[0], [0], [0], [0], [0], [0]];
        int[] candidates = [0, 1, 2, 3, 4, 5];
        float[] scores = [1f, 0.9f, 0.8f, 0.7f, 0.6f, 0.5f];
        const int width = 3;

        double Trained(bool candidateFeatures, out double other)
        {
            var cal = new HitCalibrator(cats, 1, new HitCalibratorOptions(CandidateFeatures: candidateFeatures));
            cal.Bind(new HitCalibratorState());
            var user = new HitCalibratorUser();
            var p = new double[6];
            var features = new float[6 * width];
            var rng = new Random(5);
            for (int t = 0; t < 3000; t++)
            {
                int flagged = rng.Next(6);
                Array.Clear(features);
                for (int j = 0; j < 6; j++) features[j * width + 1] = 0.5f;   // a constant second feature
                features[flagged * width] = 1;
                cal.Predict(user, t * 1000L, candidates, scores, features, width, p, keep: true);
                cal.Learn(user, candidates[flagged], positive: true, t * 1000L + 1);
            }

            Array.Clear(features);
            features[4 * width] = 1;
            cal.Predict(user, 10_000_000L, candidates, scores, features, width, p, keep: false);
            other = p.Where((_, j) => j != 4).Max();
            return p[4];
        }

        double with = Trained(true, out double otherWith);
        Assert.True(with > 0.5 && otherWith < 0.1, $"with the features: flagged {with}, best other {otherWith}");
        double without = Trained(false, out double otherWithout);
        // Without them the flagged candidate does not stand out (the rank features see a hit spread over all positions).
        Assert.True(without < 0.35 && without < otherWithout + 0.05, $"without: flagged {without}, best other {otherWithout}");

        var cal2 = new HitCalibrator(cats, 1);
        Assert.Throws<ArgumentException>(() => cal2.Predict(new HitCalibratorUser(), 0, candidates, scores, new float[5], width, new double[6], keep: false));
    }

    [Fact]
    public void CalibratorKeepsTheWeightsOfAStateWithFewerFeatures()
    {
        var old = new HitCalibratorState { Weights = new double[48] };
        old.Weights[0] = 1.5;
        old.Weights[47] = -2;
        new HitCalibrator([[0]], 1).Bind(old);
        Assert.Equal(HitCalibrator.Dimension, old.Weights.Length);
        Assert.Equal(1.5, old.Weights[0]);
        Assert.Equal(-2, old.Weights[47]);
        Assert.All(old.Weights.AsSpan(48).ToArray(), w => Assert.Equal(0, w));
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
