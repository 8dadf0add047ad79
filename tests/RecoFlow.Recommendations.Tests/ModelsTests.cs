using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Models;

namespace RecoFlow.Recommendations.Tests;

public class ModelsTests
{
    [Fact]
    public void IsgdScoreOfTrainedPairRises()
    {
        var m = new IsgdModel(new IsgdOptions(Factors: 8, LearnRate: 0.05f, Seed: 3));
        m.Update(0, 0);
        m.Update(1, 1);
        float before = m.Score(0, 0);
        float other = m.Score(0, 1);
        for (int t = 0; t < 50; t++) m.Update(0, 0);
        float after = m.Score(0, 0);
        Assert.True(after > before + 0.3f, $"{before} → {after}");
        Assert.True(after > m.Score(0, 1));
        Assert.InRange(after, 0.5f, 1.05f);
        Assert.Equal(0f, m.Score(5, 0)); // unknown user
        Assert.NotEqual(before, other);
    }

    [Fact]
    public void IsgdIsDeterministicAndRoundTrips()
    {
        var opts = new IsgdOptions(Factors: 4, Seed: 11, NegativeSamples: 2);
        var a = new IsgdModel(opts);
        var b = new IsgdModel(opts);
        var rng = new SplitMix64(5);
        var pairs = new (int, int)[200];
        for (int i = 0; i < pairs.Length; i++) pairs[i] = (rng.NextInt(10), rng.NextInt(30));
        for (int i = 0; i < 100; i++)
        {
            a.Update(pairs[i].Item1, pairs[i].Item2);
            b.Update(pairs[i].Item1, pairs[i].Item2);
        }

        IsgdModel restored = IsgdModel.Restore(TestSupport.RoundTrip(a.Snapshot()));
        for (int i = 100; i < 200; i++)
        {
            restored.Update(pairs[i].Item1, pairs[i].Item2);
            b.Update(pairs[i].Item1, pairs[i].Item2);
        }

        var sr = new float[30];
        var sb = new float[30];
        for (int u = 0; u < 10; u++)
        {
            Assert.Equal(b.ScoreAll(u, sb), restored.ScoreAll(u, sr));
            Assert.Equal(sb, sr);
        }
    }

    [Fact]
    public void FtrlLearnsSeparableProblemAndRoundTrips()
    {
        var m = new FtrlProximal(new FtrlOptions(Alpha: 0.5, Beta: 1, L1: 0.1, L2: 0.1, HashBits: 12));
        int bias = m.HashFeature("bias");
        int red = m.HashFeature("color=red");
        int blue = m.HashFeature("color=blue");
        int noise = m.HashFeature("noise");
        var rng = new SplitMix64(1);
        for (int t = 0; t < 2000; t++)
        {
            bool positive = rng.NextDouble() < 0.5;
            int[] idx = [bias, positive ? red : blue, noise];
            float[] val = [1, 1, (float)rng.NextDouble()];
            m.Update(idx, val, positive);
        }

        double pRed = m.Predict([bias, red, noise], [1, 1, 0.5f]);
        double pBlue = m.Predict([bias, blue, noise], [1, 1, 0.5f]);
        Assert.True(pRed > 0.9, $"p(red) = {pRed}");
        Assert.True(pBlue < 0.1, $"p(blue) = {pBlue}");
        Assert.True(m.Weight(red) > 0 && m.Weight(blue) < 0);
        Assert.Equal(0, m.Weight(m.HashFeature("never-seen")));

        FtrlProximal r = FtrlProximal.Restore(TestSupport.RoundTrip(m.Snapshot()));
        Assert.Equal(pRed, r.Predict([bias, red, noise], [1, 1, 0.5f]));
        m.Update([bias, blue], [1, 1], true);
        r.Update([bias, blue], [1, 1], true);
        Assert.Equal(m.Weight(blue), r.Weight(blue));
    }

    [Fact]
    public void FtrlL1KeepsIrrelevantWeightsAtZero()
    {
        var m = new FtrlProximal(new FtrlOptions(Alpha: 0.1, Beta: 1, L1: 5, L2: 0, HashBits: 8));
        var rng = new SplitMix64(9);
        for (int t = 0; t < 500; t++)
        {
            bool y = rng.NextDouble() < 0.5;
            m.Update([1, 2], [y ? 1f : -1f, (float)rng.NextDouble()], y);
        }

        Assert.NotEqual(0, m.Weight(1));
        Assert.Equal(0, m.Weight(2));
    }

    [Fact]
    public void HoeffdingTreeLearnsThresholdConceptAndRoundTrips()
    {
        // Concept: class 1 iff x0 > 0.6; x1 is noise.
        var tree = new HoeffdingTree(new HoeffdingTreeOptions(NumAttributes: 2, GracePeriod: 100));
        var rng = new SplitMix64(2);
        for (int t = 0; t < 5000; t++)
        {
            double[] x = [rng.NextDouble(), rng.NextDouble()];
            tree.Learn(x, x[0] > 0.6 ? 1 : 0);
        }

        Assert.True(tree.NodeCount > 1, "tree never split");
        int correct = 0;
        for (int t = 0; t < 1000; t++)
        {
            double[] x = [rng.NextDouble(), rng.NextDouble()];
            if ((tree.PredictPositive(x) > 0.5) == (x[0] > 0.6)) correct++;
        }

        Assert.True(correct > 900, $"accuracy {correct / 10.0}%");
        Assert.True(tree.PredictPositive([0.95, 0.5]) > 0.8);
        Assert.True(tree.PredictPositive([0.05, 0.5]) < 0.2);

        HoeffdingTree restored = HoeffdingTree.Restore(TestSupport.RoundTrip(tree.Snapshot()));
        Assert.Equal(tree.NodeCount, restored.NodeCount);
        for (int t = 0; t < 2000; t++)
        {
            double[] x = [rng.NextDouble(), rng.NextDouble()];
            int y = x[0] > 0.6 ? 1 : 0;
            tree.Learn(x, y);
            restored.Learn(x, y);
        }

        Assert.Equal(tree.NodeCount, restored.NodeCount);
        Assert.Equal(tree.PredictPositive([0.61, 0.3]), restored.PredictPositive([0.61, 0.3]));
    }

    [Fact]
    public void HoeffdingTreeDoesNotSplitOnNoise()
    {
        var tree = new HoeffdingTree(new HoeffdingTreeOptions(NumAttributes: 2, GracePeriod: 200, TieThreshold: 0.01));
        var rng = new SplitMix64(4);
        for (int t = 0; t < 3000; t++) tree.Learn([rng.NextDouble(), rng.NextDouble()], rng.NextDouble() < 0.5 ? 1 : 0);
        Assert.Equal(1, tree.NodeCount);
    }

    [Fact]
    public void DecayedPopularityHalvesAfterOneHalfLife()
    {
        var pop = new DecayedPopularity(TimeSpan.FromHours(1));
        long t0 = 1_000_000;
        pop.Add(3, 8, t0);
        Assert.Equal(8, pop.Score(3, t0), 9);
        Assert.Equal(4, pop.Score(3, t0 + 3_600_000), 9);
        Assert.Equal(2, pop.Score(3, t0 + 7_200_000), 9);
        pop.Add(3, 2, t0 + 3_600_000);
        Assert.Equal(6, pop.Score(3, t0 + 3_600_000), 9);
        Assert.Equal(0, pop.Score(1, t0));

        // Far in the future the reference time moves (rescaling) without changing values.
        long far = t0 + 200L * 3_600_000;
        pop.Add(1, 1, far);
        Assert.Equal(1, pop.Score(1, far), 9);
        Assert.Equal(6 * Math.Pow(2, -199), pop.Score(3, far), 12);

        DecayedPopularity r = DecayedPopularity.Restore(TestSupport.RoundTrip(pop.Snapshot()));
        Assert.Equal(pop.Score(3, far + 5), r.Score(3, far + 5));
        Assert.Equal(pop.Score(1, far + 5), r.Score(1, far + 5));
    }

    [Fact]
    public void CoVisitationDecaysBoundsNeighboursAndRoundTrips()
    {
        var co = new CoVisitation(TimeSpan.FromDays(1), maxNeighbours: 3);
        long day = 86_400_000;
        co.Add(0, 1, 1, 0);
        co.Add(0, 1, 1, 0);
        Assert.Equal(2, co.Weight(0, 1, 0), 6);
        Assert.Equal(2, co.Weight(1, 0, 0), 6);
        Assert.Equal(1, co.Weight(0, 1, day), 6);

        co.Add(0, 2, 3, day);   // weight 3 at day 1 vs edge 0-1 worth 1 then
        co.Add(0, 3, 0.5f, day);
        co.Add(0, 4, 5, day);   // list full: replaces the weakest (0-3, 0.5)
        co.Add(0, 5, 0.1f, day); // weaker than every neighbour: dropped
        Assert.Equal(3, co.Neighbours(0, out ReadOnlySpan<int> ids, out _));
        Assert.Equal([1, 2, 4], ids.ToArray().Order().ToArray());
        Assert.Equal(0, co.Weight(0, 5, day));

        CoVisitation r = CoVisitation.Restore(TestSupport.RoundTrip(co.Snapshot()));
        foreach (int b in new[] { 1, 2, 4 }) Assert.Equal(co.Weight(0, b, 2 * day), r.Weight(0, b, 2 * day));
        Assert.Equal(co.Weight(4, 0, day), r.Weight(4, 0, day));
    }

    [Fact]
    public void BatchMfFitsTrainingPairsAndRoundTrips()
    {
        var pairs = new List<(int, int)>();
        for (int u = 0; u < 20; u++)
        {
            int group = u % 2;
            for (int i = 0; i < 5; i++) pairs.Add((u, group * 5 + i)); // group 0 likes items 0-4, group 1 items 5-9
        }

        var mf = BatchMatrixFactorization.Train(pairs, new BatchMfOptions(Factors: 4, Epochs: 50, NegativesPerPositive: 2, Seed: 3));
        var s = new float[10];
        Assert.True(mf.ScoreAll(0, s));
        Assert.True(s[..5].ToArray().Min() > s[5..].ToArray().Max());
        BatchMatrixFactorization r = BatchMatrixFactorization.Restore(TestSupport.RoundTrip(mf.Snapshot()));
        var s2 = new float[10];
        Assert.True(r.ScoreAll(0, s2));
        Assert.Equal(s, s2);
        Assert.False(r.ScoreAll(99, s2));
    }
}
