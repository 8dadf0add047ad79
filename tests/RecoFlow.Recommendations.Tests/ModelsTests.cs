using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Models;

namespace RecoFlow.Recommendations.Tests;

public class ModelsTests
{
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
