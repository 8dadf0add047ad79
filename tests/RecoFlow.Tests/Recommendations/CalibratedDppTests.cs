using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;

namespace RecoFlow.Tests.Recommendations;

public sealed class CalibratedDppTests
{
    private const long T0 = 1_700_000_040_000;
    private static readonly string[] Genres = RecommendationChain.Genres;

    private static ItemCatalog Catalog() => RecommendationChain.GenreCatalog(secondGenreEvery: 4);

    private static ScoringOptions Calibrated(DppRelevance relevance = DppRelevance.Calibrated) => new(
        DppTheta: 0.08, DppRelevance: relevance, DppShrink: 0.25, DppPool: DppPool.Genre, DppPerGenre: 2, DppCandidates: 12, EmitProbes: true);

    /// <summary>The events of the replay: users who mostly click one genre, in rounds, with a publish boundary between rounds.</summary>
    private static IEnumerable<(UserEvent Event, bool Boundary)> Replay()
    {
        var rng = new Random(11);
        long t = T0;
        for (int round = 0; round < 6; round++)
        {
            for (int u = 0; u < 24; u++)
            {
                int genre = u % Genres.Length;
                for (int n = 0; n < 3; n++)
                {
                    int g = rng.Next(4) == 0 ? rng.Next(Genres.Length) : genre;
                    yield return (RecommendationChain.Event($"u{u}", $"{Genres[g]}{rng.Next(12)}", rng.Next(5) == 0 ? InteractionType.View : InteractionType.Click, t += 1_000), false);
                }
            }
            t += 120_000;
            yield return (RecommendationChain.Event("ticker", "Drama0", InteractionType.View, t), true);
        }
    }

    private static List<Recommendation> Run(ScoringOptions scoring, int? restoreAt)
    {
        using var chain = new RecommendationChain(Catalog(), scoring: scoring);
        var lists = new List<Recommendation>();
        int i = 0;
        foreach (var (e, _) in Replay())
        {
            if (i++ == restoreAt) chain.Scoring.SnapshotAndRestore();
            lists.AddRange(chain.Send(e));
        }
        return lists;
    }

    [Fact]
    public void Calibrated_dpp_changes_the_lists_and_its_calibrator_survives_a_snapshot_round_trip()
    {
        var straight = Run(Calibrated(), restoreAt: null);
        // Probes before the first model version are empty; every later one is a full list.
        var probes = straight.Where(r => r.Trigger == ListTrigger.Probe && r.ModelVersion > 0).ToList();
        Assert.True(probes.Count > 50, $"{probes.Count} probes");
        Assert.All(probes, r => Assert.Equal(10, r.Items.Length));

        // The calibrated relevance is in use: the same replay with rank-based relevance serves other lists.
        var logrank = Run(Calibrated(DppRelevance.LogRank), restoreAt: null);
        Assert.Equal(straight.Count, logrank.Count);
        Assert.Contains(Enumerable.Range(0, straight.Count), j => !straight[j].Items.SequenceEqual(logrank[j].Items));

        // Snapshots in the middle of the replay (weights, user contexts and pending lists restored) change nothing,
        // not even the order of the lists: the calibrator continues where it was.
        foreach (int at in new[] { 200, 333 })
        {
            var restored = Run(Calibrated(), restoreAt: at);
            Assert.Equal(straight.Count, restored.Count);
            for (int j = 0; j < straight.Count; j++)
            {
                Assert.Equal(straight[j].EventId, restored[j].EventId);
                Assert.Equal(straight[j].Items, restored[j].Items);
                Assert.Equal(straight[j].Scores, restored[j].Scores);
            }
        }
    }
}
