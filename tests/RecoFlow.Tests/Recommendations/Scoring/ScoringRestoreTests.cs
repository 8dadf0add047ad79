using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;

namespace RecoFlow.Tests.Recommendations.Scoring;

/// <summary>The scoring operator's lists and learned blend across a snapshot and restore, and its lists before the first model version.</summary>
public sealed class ScoringRestoreTests
{
    private const long T0 = 1_700_000_040_000;
    private static readonly ItemCatalog Catalog = RecommendationChain.GenreCatalog(secondGenreEvery: 4);
    private static readonly ScoringOptions Options = new(EmitProbes: true);

    /// <summary>Users who mostly click one genre, in rounds, with a publish boundary (a model version) after each round.</summary>
    private static IEnumerable<UserEvent> Replay() => RecommendationChain.GenreRounds(T0, seed: 17, rounds: 5, viewEvery: 6);

    private static List<Recommendation> Run(ScoringOptions options, int? restoreAt)
    {
        using var chain = new RecommendationChain(Catalog, scoring: options);
        var lists = new List<Recommendation>();
        int i = 0;
        foreach (var e in Replay())
        {
            if (i++ == restoreAt) chain.Scoring.SnapshotAndRestore();
            lists.AddRange(chain.Send(e));
        }
        return lists;
    }

    private static OnlineBlendState Blend(RecommendationChain chain) =>
        chain.Scoring.Context.OperatorStateStore.GetBroadcastState(ScoringFunction.BlendDescriptor)[ScoringFunction.StoreKey];

    [Fact]
    public void Lists_after_a_restore_are_those_of_a_run_without_one_and_the_blend_learns_on()
    {
        var straight = Run(Options, restoreAt: null);
        Assert.True(straight.Count(r => r.Trigger == ListTrigger.Probe && r.ModelVersion > 0) > 100);
        Assert.All(straight, r => Assert.Equal(10, r.Items.Length));

        // Restored mid-round and right after a version: the same lists, scores included, to the end of the replay.
        foreach (int at in new[] { 150, 219 })
        {
            var restored = Run(Options, restoreAt: at);
            Assert.Equal(straight.Count, restored.Count);
            for (int j = 0; j < straight.Count; j++)
            {
                Assert.Equal(straight[j].EventId, restored[j].EventId);
                Assert.Equal(straight[j].Items, restored[j].Items);
                Assert.Equal(straight[j].Scores, restored[j].Scores);
            }
        }

        // What the blend learned is in those lists: held at its priors it serves others.
        var frozen = Run(Options with { BlendLearnRate = 0 }, restoreAt: null);
        Assert.Equal(straight.Count, frozen.Count);
        Assert.Contains(Enumerable.Range(0, straight.Count), j => !straight[j].Scores.SequenceEqual(frozen[j].Scores));
    }

    [Fact]
    public void The_learned_blend_and_every_users_list_survive_a_snapshot_round_trip()
    {
        using var chain = new RecommendationChain(Catalog, scoring: Options);
        long t = 0;
        foreach (var e in Replay().Take(300))
        {
            chain.Send(e);
            t = e.TimestampMs;
        }
        var before = Blend(chain);
        Assert.True(before.Updates > 50, $"{before.Updates} lists learned from");
        Assert.NotEqual(CandidateFeatures.Priors(), before.Weights);
        var users = Enumerable.Range(0, 24).Select(u => $"u{u}").ToList();
        var lists = users.Select(u => chain.Request(u, t)).ToList();
        Assert.All(lists, r => Assert.True(r.ModelVersion > 0));
        float[] weights = [.. before.Weights], squared = [.. before.SquaredGradients];
        (long updates, long misses) = (before.Updates, before.Misses);

        chain.Scoring.SnapshotAndRestore();

        var after = Blend(chain);
        Assert.NotSame(before, after);
        Assert.Equal(weights, after.Weights);
        Assert.Equal(squared, after.SquaredGradients);
        Assert.Equal((updates, misses), (after.Updates, after.Misses));
        for (int u = 0; u < users.Count; u++)
        {
            var again = chain.Request(users[u], t);
            Assert.Equal(lists[u].Items, again.Items);
            Assert.Equal(lists[u].Scores, again.Scores);
            Assert.Equal(lists[u].ModelVersion, again.ModelVersion);
        }
    }

    [Fact]
    public void Before_the_first_model_version_a_job_serves_its_popular_items_and_never_an_empty_list()
    {
        using var chain = new RecommendationChain(Catalog, scoring: Options);
        long t = T0;
        // Nothing known but the catalogue: its first items.
        var first = chain.Request("nobody", t);
        Assert.Equal(0, first.ModelVersion);
        Assert.Equal(Catalog.Items.Take(10).Select(i => i.Id), first.Items);

        string[] clicks = ["Horror3", "Horror3", "Comedy5", "Horror3", "Comedy5", "SciFi1"];
        for (int u = 0; u < clicks.Length; u++) chain.Send(RecommendationChain.Event($"fan{u}", clicks[u], InteractionType.Click, t += 1_000));
        var newcomer = chain.Request("newcomer", t);
        Assert.Equal(0, newcomer.ModelVersion);
        Assert.Equal(["Horror3", "Comedy5", "SciFi1"], newcomer.Items.Take(3));
        Assert.Equal(10, newcomer.Items.Length);

        // A user's own positives are not offered back.
        var own = chain.Send(RecommendationChain.Event("fan9", "Horror3", InteractionType.Click, t += 1_000)).Single();
        Assert.Equal(0, own.ModelVersion);
        Assert.Equal(["Comedy5", "SciFi1"], own.Items.Take(2));
        Assert.DoesNotContain("Horror3", own.Items);

        // The popular counts are transient, but a restored job still serves a full list from the catalogue.
        chain.Scoring.SnapshotAndRestore();
        Assert.Equal(10, chain.Request("newcomer", t).Items.Length);

        // The first version takes over: its candidates are the items it knows (here only the three clicked ones), ranked
        // first; a young model cannot fill the list, so the cold-start list fills it up to K, never repeating an item.
        chain.Send(RecommendationChain.Event("ticker", "Drama0", InteractionType.View, t += 120_000));
        var served = chain.Request("newcomer", t);
        Assert.True(served.ModelVersion > 0);
        Assert.Equal(["Comedy5", "Horror3", "SciFi1"], served.Items.Take(3).Order(StringComparer.Ordinal));
        Assert.Equal(10, served.Items.Length);
        Assert.Equal(10, served.Items.Distinct().Count());
        Assert.True(served.Scores[3] < served.Scores[2], "filled-up items rank below the model's");
    }
}
