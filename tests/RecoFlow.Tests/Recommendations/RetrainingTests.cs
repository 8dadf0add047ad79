using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Recommendations;

/// <summary>Sliding-window refits of the item factors, published as "refit" model versions.</summary>
public sealed class RetrainingTests
{
    private const long T0 = 1_700_000_400_000; // a multiple of ten minutes
    private static readonly ItemCatalog Catalog = RecommendationOperatorTests.Catalog();
    private static readonly ItemModelOptions Options = new(PublishInterval: TimeSpan.FromMinutes(1), RetrainInterval: TimeSpan.FromMinutes(10),
        RetrainWindow: TimeSpan.FromMinutes(15), RetrainMaxInteractions: 50, RetrainEpochs: 2);

    private static ItemFeedback Positive(int i, long ts) =>
        new($"i{i % 7}", $"u{i % 5}", 1, true, ts, i > 0 ? [$"i{(i - 1) % 7}"] : [], i > 0 ? [1f] : [], false);

    private static List<ModelDelta> Run(int snapshotAt)
    {
        using var h = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(Options), typeof(string)).Open();
        for (int i = 0; i < 120; i++)
        {
            if (i == snapshotAt) h.SnapshotAndRestore();
            long ts = T0 + i * 15_000L;
            h.ProcessElement(Positive(i, ts), ts);
        }
        h.Finish();
        return h.OutputValues.ToList();
    }

    private static string Describe(ModelDelta d) =>
        $"{d.Version}/{d.Kind}@{d.CutMs}:" + string.Join(";", d.Items.Select(e => $"{e.ItemId}|{e.LogPopularity}|{string.Join(",", e.Factors ?? [])}|{string.Join(",", e.Neighbours ?? [])}|{string.Join(",", e.NeighbourUpdates ?? [])}|{string.Join(",", e.NeighbourUpdateLogWeights ?? [])}|{string.Join(",", e.NeighbourRemovals ?? [])}"));

    [Fact]
    public void Item_model_publishes_a_refit_version_every_retrain_interval_and_its_window_survives_a_snapshot()
    {
        var plain = Run(-1);
        var refits = plain.Where(d => d.Kind == ModelDelta.RefitKind).ToList();
        // 120 events 15 s apart span 30 minutes: refits at T0+10m, T0+20m (the end of input publishes no refit).
        Assert.Equal([T0 + 600_000, T0 + 1_200_000], refits.Select(d => d.CutMs));
        Assert.All(refits, r => Assert.All(r.Items, e => Assert.True(e.Factors is { Length: 16 } && e.LogPopularity is null && e.Neighbours is null)));
        Assert.All(refits, r => Assert.Equal(7, r.Items.Length));
        Assert.Equal(Enumerable.Range(1, plain.Count).Select(v => (long)v), plain.Select(d => d.Version));
        // The online version cut at the same time comes just before the refit, and the refit changes factors it carried.
        int at = plain.IndexOf(refits[0]);
        Assert.Equal(ModelDelta.OnlineKind, plain[at - 1].Kind);
        Assert.Equal(refits[0].CutMs, plain[at - 1].CutMs);
        var online = plain.Take(at).SelectMany(d => d.Items).Where(e => e.Factors is not null).GroupBy(e => e.ItemId).ToDictionary(g => g.Key, g => g.Last().Factors!);
        Assert.Contains(refits[0].Items, e => !e.Factors!.SequenceEqual(online[e.ItemId]));

        // Snapshots inside the window, after the first refit: the same versions, bit for bit.
        Assert.Equal(plain.Select(Describe), Run(30).Select(Describe));
        Assert.Equal(plain.Select(Describe), Run(50).Select(Describe));
    }

    [Fact]
    public void Refit_window_is_bounded_by_time_and_by_count()
    {
        // Without negative samples a refit changes exactly the items of its window.
        using var h = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(Options with { RetrainMaxInteractions = 10, NegativeSamples = 0 }), typeof(string)).Open();
        static ItemFeedback Distinct(int i, long ts) => new($"n{i}", $"u{i % 5}", 1, true, ts, [], [], false);
        for (int i = 0; i < 50; i++) h.ProcessElement(Distinct(i, T0 + i * 1_000L), T0 + i * 1_000L);
        h.SnapshotAndRestore();
        // At the first refit only the last 10 interactions are kept.
        h.ProcessElement(Distinct(50, T0 + 600_000), T0 + 600_000);
        var refit = h.OutputValues.Single(d => d.Kind == ModelDelta.RefitKind);
        Assert.Equal(Enumerable.Range(40, 10).Select(i => $"n{i}"), refit.Items.Select(e => e.ItemId).Order(StringComparer.Ordinal));

        // 30 minutes later every kept interaction is older than the window (15 minutes): no refit version, only the online one.
        int before = h.OutputValues.Count;
        h.ProcessElement(Distinct(51, T0 + 2_400_000), T0 + 2_400_000);
        Assert.DoesNotContain(h.OutputValues.Skip(before), d => d.Kind == ModelDelta.RefitKind);
    }

    [Theory]
    [InlineData("retrain-interval=90s")]
    [InlineData("retrain-window=0")]
    [InlineData("retrain-epochs=0")]
    [InlineData("versions-report-lists=-1")]
    public async Task Job_rejects_bad_retraining_parameters_with_exit_code_2(string parameter)
    {
        // publish-interval is 1m by default: a refit must fall on a publish boundary. The input exists: only the parameter is wrong.
        var input = Path.GetTempFileName();
        try
        {
            Assert.Equal(2, await RecoFlow.Cli.CliApp.RunAsync(["run", "recommendations", "--param", $"input={input}", "--param", $"output={input}.out", "--param", parameter], new StringWriter()));
            Assert.False(File.Exists(input + ".out"));
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Fact]
    public void Scoring_serves_a_refit_version_reports_it_and_a_rollback_from_it_restores_the_previous_version()
    {
        using var chain = new RecommendationChain(Catalog, Options, new ScoringOptions(VersionReportLists: 0));
        long t = T0;
        var rng = new Random(3);
        // Events 4 s apart until the first one past T0 + 10 min: the refit cut there reaches scoring before that event.
        while (!chain.Versions.Any(v => v.Kind == ModelDelta.RefitKind))
        {
            int u = rng.Next(20);
            string prefix = u < 14 ? "d" : "h";
            chain.Send(RecommendationChain.Event($"fan{u}", $"{prefix}{rng.Next(prefix == "h" ? 5 : 20)}", InteractionType.Click, t += 4_000));
        }
        var refit = chain.Versions.Single(v => v.Kind == ModelDelta.RefitKind);
        Assert.Equal(T0 + 600_000, refit.CutMs);
        Assert.Equal(refit.Version, chain.Versions[^1].Version);
        var atRefit = chain.Request("fan1", t += 1);
        Assert.Equal(refit.Version, atRefit.ModelVersion);

        chain.Scoring.SnapshotAndRestore();
        var records = chain.Scoring.SideOutput(ScoringFunction.VersionsOutput).Select(r => r.Value).ToList();
        Assert.Contains(records, r => r.Reason == "activated" && r.Info.Version == refit.Version && r.Info.Kind == ModelDelta.RefitKind);

        // Roll back to the version before the refit: lists use it, and the refit is reported rolled back.
        chain.Control(ModelMessage.Rollback(refit.Version - 1));
        var rolledBack = chain.Request("fan1", t += 1_000);
        Assert.Equal(refit.Version - 1, rolledBack.ModelVersion);
        var last = chain.Scoring.SideOutput(ScoringFunction.VersionsOutput).Select(r => r.Value).Where(r => r.Reason == "rollback").ToList();
        Assert.Equal("rolled-back", last.Single(r => r.Info.Version == refit.Version).Info.Status);
        Assert.Equal("active", last.Single(r => r.Info.Version == refit.Version - 1).Info.Status);

        // The rollback survives a snapshot; resuming serves the refit again, with the same list as before the rollback.
        chain.Scoring.SnapshotAndRestore();
        Assert.Equal(refit.Version - 1, chain.Request("fan1", t += 1).ModelVersion);
        chain.Control(ModelMessage.ResumeLatest());
        var resumed = chain.Request("fan1", t += 1);
        Assert.Equal(refit.Version, resumed.ModelVersion);
        Assert.Equal(atRefit.Items, resumed.Items);
    }
}
