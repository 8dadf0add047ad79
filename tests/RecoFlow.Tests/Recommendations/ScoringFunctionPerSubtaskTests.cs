using RecoFlow.Api.Functions;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Runtime.KeyGroups;
using RecoFlow.Runtime.State;
using RecoFlow.TestKit;
using RecoFlow.Tests.Api;

namespace RecoFlow.Tests.Recommendations;

/// <summary>
/// Regression: <see cref="ScoringFunction"/> kept scratch buffers in fields initialised where they were declared (the
/// genre pool list), and subtask copies of a function were shallow (MemberwiseClone), so every parallel subtask of the
/// job wrote the same buffer while computing its lists. Every mutable object a subtask's copy uses must be its own once
/// the copy is open (the copy is deep now, <see cref="SubtaskCopy"/>; <c>BuiltInJobsPerSubtaskTests</c> checks every
/// operator of every built-in job before it opens).
/// </summary>
public sealed class ScoringFunctionPerSubtaskTests
{
    private const long T0 = 1_700_000_040_000;
    private static readonly string[] Genres = RecommendationChain.Genres;

    private static ItemCatalog Catalog() => RecommendationChain.GenreCatalog(secondGenreEvery: 3);

    /// <summary>Every stage that keeps scratch: genre pool, re-scoring (FTRL and tree), DPP, serendipity.</summary>
    private static readonly ScoringOptions Rescored = new(
        DppTheta: 0.3, DppPool: DppPool.Genre, DppPerGenre: 2, DppCandidates: 12, FtrlRescoring: true, TreeRescoring: true, SerendipityShare: 0.2, EmitProbes: true);

    /// <summary>Every stage that keeps scratch with the calibrated DPP relevance (not combined with re-scoring).</summary>
    private static readonly ScoringOptions Calibrated = new(
        DppTheta: 0.1, DppRelevance: DppRelevance.Calibrated, DppShrink: 0.5, DppPool: DppPool.Genre, DppPerGenre: 2, DppCandidates: 12, SerendipityShare: 0.2, EmitProbes: true);

    public static TheoryData<string> Settings => ["rescored", "calibrated"];

    private static ScoringOptions Options(string name) => name == "rescored" ? Rescored : Calibrated;

    [Theory]
    [MemberData(nameof(Settings))]
    public void Two_open_subtask_copies_share_no_mutable_object(string settings)
    {
        var catalog = Catalog();
        var function = new ScoringFunction(() => catalog, Options(settings));
        var a = OpenCopy(function);
        var b = OpenCopy(function);

        var reached = SharedMutableObjects.Reachable(a).Count;
        Assert.True(reached > 100, $"{reached} objects reached: the walk does not see the scratch");
        Assert.Empty(SharedMutableObjects.Between(a, b));
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public async Task Two_subtask_copies_running_at_once_serve_the_lists_of_one_running_alone(string settings)
    {
        var catalog = Catalog();
        var alone = Run(catalog, new ScoringFunction(() => catalog, Options(settings)));
        Assert.Contains(alone, r => r.Items.Length == 10);

        // One function object for the job, one operator (one copy) per subtask, both computing lists at the same time.
        var function = new ScoringFunction(() => catalog, Options(settings));
        using var start = new Barrier(2);
        var both = await Task.WhenAll(
            Task.Run(() => { start.SignalAndWait(); return Run(catalog, function); }),
            Task.Run(() => { start.SignalAndWait(); return Run(catalog, function); }));

        foreach (var lists in both)
        {
            Assert.Equal(alone.Count, lists.Count);
            for (int j = 0; j < alone.Count; j++)
            {
                Assert.Equal(alone[j].EventId, lists[j].EventId);
                Assert.Equal(alone[j].Items, lists[j].Items);
                Assert.Equal(alone[j].Scores, lists[j].Scores);
            }
        }
    }

    /// <summary>A subtask's copy of <paramref name="function"/>, opened on its own state backend, as its operator does.</summary>
    private static ScoringFunction OpenCopy(ScoringFunction function)
    {
        var copy = RichFunction.CopyForSubtask(function);
        copy.OpenState(new HeapKeyedStateBackend<string>(new KeyGroupRange(0, 127), 128, new ManualProcessingTime()));
        copy.Open();
        return copy;
    }

    /// <summary>Users who mostly click one genre, in rounds, with a model version published between rounds.</summary>
    private static List<Recommendation> Run(ItemCatalog catalog, ScoringFunction function)
    {
        using var chain = new RecommendationChain(catalog, function: function);
        var lists = new List<Recommendation>();
        var rng = new Random(5);
        long t = T0;
        for (int round = 0; round < 5; round++)
        {
            for (int u = 0; u < 20; u++)
            {
                for (int n = 0; n < 3; n++)
                {
                    int g = rng.Next(4) == 0 ? rng.Next(Genres.Length) : u % Genres.Length;
                    var type = rng.Next(5) == 0 ? InteractionType.View : InteractionType.Click;
                    lists.AddRange(chain.Send(RecommendationChain.Event($"u{u}", $"{Genres[g]}{rng.Next(12)}", type, t += 1_000)));
                }
            }
            t += 120_000;
            lists.AddRange(chain.Send(RecommendationChain.Event("ticker", "Drama0", InteractionType.View, t)));
        }
        return lists;
    }
}
