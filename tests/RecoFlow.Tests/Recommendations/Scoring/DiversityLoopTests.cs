using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;

namespace RecoFlow.Tests.Recommendations.Scoring;

/// <summary>The scoring operator's diversity loop: θ versions on the side output, its state across a snapshot and restore, rollback and resume commands.</summary>
public sealed class DiversityLoopTests
{
    private const long T0 = 1_700_000_040_000;
    private static readonly ItemCatalog Catalog = RecommendationChain.GenreCatalog(secondGenreEvery: 4);
    private static readonly ScoringOptions Options = new(EmitProbes: true,
        Diversity: new DiversityControllerOptions(Target: 0.95, WindowLists: 20, InitialTheta: 0.9));

    /// <summary>Users who mostly click one genre, with a model version after each round: their lists repeat genres, below the target.</summary>
    private static IEnumerable<UserEvent> Replay() => RecommendationChain.GenreRounds(T0, seed: 5, rounds: 6);

    private static List<DiversityRecord> Decisions(RecommendationChain chain) =>
        chain.Scoring.SideOutput(ScoringFunction.DiversityOutput).Select(d => d.Value).ToList();

    private static DiversityControllerState State(RecommendationChain chain) =>
        chain.Scoring.Context.OperatorStateStore.GetBroadcastState(ScoringFunction.DiversityDescriptor)[ScoringFunction.StoreKey];

    [Fact]
    public void Lists_below_the_target_lower_theta_in_versions_that_survive_a_restore()
    {
        using var chain = new RecommendationChain(Catalog, scoring: Options);
        var events = Replay().ToList();
        foreach (var e in events.Take(events.Count / 2)) chain.Send(e);

        var decisions = Decisions(chain);
        Assert.Equal("initial", decisions[0].Reason);
        Assert.Equal(0.9, decisions[0].Theta);
        var adjusted = decisions.Where(d => d.Reason == "adjusted").ToList();
        Assert.NotEmpty(adjusted);
        Assert.All(adjusted, d => Assert.True(d.WindowIld < 0.95, $"window ILD {d.WindowIld}"));
        Assert.True(adjusted[^1].Theta < 0.9);
        var before = State(chain);
        (double theta, long version, long lists) = (before.Theta, before.LatestVersion, before.Lists);
        double[] window = [.. before.Window];

        chain.Scoring.SnapshotAndRestore();

        var after = State(chain);
        Assert.NotSame(before, after);
        Assert.Equal((theta, version, lists), (after.Theta, after.LatestVersion, after.Lists));
        Assert.Equal(window, after.Window);
        foreach (var e in events.Skip(events.Count / 2)) chain.Send(e);
        var later = Decisions(chain).Where(d => d.Reason == "adjusted" && d.Version > version).ToList();
        Assert.NotEmpty(later);
        Assert.Equal(version + 1, later[0].Version);
    }

    [Fact]
    public void A_rollback_command_holds_a_kept_theta_until_resume()
    {
        using var chain = new RecommendationChain(Catalog, scoring: Options);
        var events = Replay().ToList();
        foreach (var e in events.Take(events.Count / 2)) chain.Send(e);
        Assert.True(State(chain).LatestVersion > 2);
        var kept = State(chain).Versions[0];
        Assert.NotEqual(kept.Theta, State(chain).Theta);

        chain.Control(ModelMessage.RollbackDiversity(kept.Version));
        Assert.Equal(kept.Theta, State(chain).Theta);
        Assert.True(State(chain).Pinned);
        int count = Decisions(chain).Count;
        Assert.Equal("rollback", Decisions(chain)[^1].Reason);
        foreach (var e in events.Skip(events.Count / 2).Take(100)) chain.Send(e);
        Assert.Equal(count, Decisions(chain).Count);
        Assert.Equal(kept.Theta, State(chain).Theta);

        chain.Control(ModelMessage.ResumeDiversity());
        Assert.Equal("resume", Decisions(chain)[^1].Reason);
        foreach (var e in events.Skip(events.Count / 2 + 100)) chain.Send(e);
        Assert.Contains(Decisions(chain).Skip(count + 1), d => d.Reason == "adjusted");

        chain.Control(ModelMessage.RollbackDiversity(999));
        Assert.False(State(chain).Pinned);
    }
}
