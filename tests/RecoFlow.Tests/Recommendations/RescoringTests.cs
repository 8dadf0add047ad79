using MessagePack;
using MessagePack.Resolvers;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Models;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;

namespace RecoFlow.Tests.Recommendations;

public sealed class RescoringTests
{
    private const long T0 = 1_700_000_040_000;
    private static readonly ItemCatalog Catalog = RecommendationOperatorTests.Catalog();
    private static readonly MessagePackSerializerOptions Contractless = ContractlessStandardResolver.Options;

    [Fact]
    public void Ftrl_learns_to_lift_the_item_users_keep_choosing_above_the_blend_order()
    {
        var rescorer = new Rescorer(ftrl: true, tree: false);
        var state = Rescorer.NewState(12);
        string[] ids = [.. Enumerable.Range(0, 6).Select(i => $"i{i}")];
        var cats = Enumerable.Range(0, 6).Select(i => new[] { i % 2 }).ToList();
        var pool = Enumerable.Range(0, 6).Select(i => new Candidate(i, i, 0, 0, 0, 0)).ToArray();
        var score = new double[6];
        rescorer.Score(state, pool, "u", ContextFeatures.None, ids, cats, score);
        Assert.True(score[0] > score[5], "untrained, the blend order is kept");

        for (int n = 0; n < 300; n++)
            for (int j = 0; j < 6; j++) rescorer.Learn(state, pool[j], hit: j == 5, "u", ContextFeatures.None, ids, cats);
        rescorer.Score(state, pool, "u", ContextFeatures.None, ids, cats, score);
        Assert.Equal(5, Array.IndexOf(score, score.Max()));
        Assert.Equal(1800, state.Examples);

        // The state is the model: a serialised copy scores the same.
        var copy = MessagePackSerializer.Deserialize<RescorerState>(MessagePackSerializer.Serialize(state, Contractless), Contractless);
        var again = new double[6];
        new Rescorer(ftrl: true, tree: false).Score(copy, pool, "u", ContextFeatures.None, ids, cats, again);
        Assert.Equal(score, again);
    }

    [Fact]
    public void Hoeffding_tree_over_a_state_learns_in_place_and_round_trips()
    {
        var state = HoeffdingTree.NewState(new HoeffdingTreeOptions(2, GracePeriod: 50));
        var tree = HoeffdingTree.Over(state);
        var rng = new Random(3);
        for (int n = 0; n < 2_000; n++)
        {
            double a = rng.NextDouble(), b = rng.NextDouble();
            tree.Learn([a, b], a > 0.5 ? 1 : 0);
        }
        Assert.True(state.Nodes.Count > 1, "the split is visible in the state object");
        var copy = HoeffdingTree.Over(MessagePackSerializer.Deserialize<HoeffdingTreeState>(MessagePackSerializer.Serialize(state)));
        Assert.True(copy.PredictPositive([0.9, 0.5]) > 0.8);
        Assert.True(copy.PredictPositive([0.1, 0.5]) < 0.2);
        Assert.Equal(tree.PredictPositive([0.7, 0.2]), copy.PredictPositive([0.7, 0.2]));
    }

    [Fact]
    public void Scoring_with_ftrl_and_tree_rescoring_serves_lists_and_survives_a_snapshot_round_trip()
    {
        using var chain = new RecommendationChain(Catalog, scoring: new ScoringOptions(FtrlRescoring: true, TreeRescoring: true, RescoreHashBits: 12, DppTheta: 0.5, EmitProbes: true));
        long t = T0;
        var rng = new Random(5);
        for (int u = 0; u < 40; u++)
        {
            string prefix = u < 30 ? "d" : "h";
            foreach (int i in Enumerable.Range(0, 20).OrderBy(_ => rng.Next()).Take(5).Order())
                chain.Send(RecommendationChain.Event($"fan{u}", $"{prefix}{i}", InteractionType.Click, t += 1_000));
        }
        t += 120_000;
        chain.Send(RecommendationChain.Event("ticker", "d0", InteractionType.View, t));
        for (int u = 0; u < 40; u++)
            chain.Send(RecommendationChain.Event($"fan{u}", u < 30 ? "d19" : "h19", InteractionType.Click, t += 1_000));

        var before = chain.Request("fan3", t += 1_000);
        Assert.Equal(10, before.Items.Length);
        Assert.Contains(chain.Probes, r => r.Trigger == ListTrigger.Probe);
        Assert.DoesNotContain(chain.Scoring.OutputValues, r => r.Trigger == ListTrigger.Probe);
        chain.Scoring.SnapshotAndRestore();
        var after = chain.Request("fan3", t += 1_000);
        Assert.Equal(before.Items, after.Items);
        Assert.Equal(before.Scores, after.Scores);

        // Learning continues after the restore.
        chain.Send(RecommendationChain.Event("fan3", after.Items[0], InteractionType.Click, t += 1_000));
        Assert.NotEqual(before.Items, chain.Request("fan3", t += 1_000).Items);
    }
}
