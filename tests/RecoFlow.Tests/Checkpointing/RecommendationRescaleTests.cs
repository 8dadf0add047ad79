using RecoFlow.Api;
using RecoFlow.Api.Streams;
using RecoFlow.Connectors.Files;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Testing;
using Xunit.Abstractions;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// The recommendation job stopped with a savepoint at one parallelism and resumed from it at another (what reactive
/// scaling does when a worker joins or leaves): every rating gets exactly one committed list, and the lists after the
/// rescale are as good as those of a run that never stopped.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RecommendationRescaleTests(ITestOutputHelper output) : IDisposable
{
    private const int Events = 12_000;
    private readonly string _dir = Directory.CreateTempSubdirectory("reco-rescale").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* best effort */ }
    }

    /// <param name="rate">Events per second (0: unpaced). The stopped run is paced so that its input cannot end before the savepoint.</param>
    private StreamJob Job(string input, string outputDir, int parallelism, int rate)
    {
        var definition = new RecommendationJob();
        var values = new Dictionary<string, string>
        {
            ["input"] = input, ["format"] = "movielens", ["catalog"] = Path.Combine(RepositoryData.MovieLensDir(), "movies.csv"),
            ["output"] = outputDir, ["parallelism"] = parallelism.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["rate"] = rate.ToString(System.Globalization.CultureInfo.InvariantCulture), ["order"] = "event-time",
        };
        return definition.Build(new JobParameters(values, definition.Parameters));
    }

    private static readonly JobRunOptions Checkpointed = new() { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(500) } };

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 1)]
    public async Task Stopped_with_a_savepoint_and_resumed_at_another_parallelism_every_rating_gets_one_list(int before, int after)
    {
        var input = Path.Combine(_dir, "ratings.csv");
        var events = RecommendationReplay.WriteMovieLensPrefix(input, Events);

        var reference = Path.Combine(_dir, "reference");
        await using (var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "reference.db"))))
        {
            var result = await runtime.Submit(Job(input, reference, after, rate: 0).Build(), Checkpointed).Completion.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
        }
        var (referenceLists, referenceRepeated) = RecommendationReplay.ReadCommitted(reference);
        Assert.Null(RecommendationReplay.ExactlyOnceViolations(events, referenceLists, referenceRepeated));

        var rescaled = Path.Combine(_dir, "rescaled");
        string savepoint;
        await using (var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "before.db"))))
        {
            // 12 s of input at 1,000 events/s; the savepoint comes once a checkpoint committed lists, seconds before the input ends.
            var client = runtime.Submit(Job(input, rescaled, before, rate: 1_000).Build(), Checkpointed);
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (CommittedFiles.ReadLines(rescaled).Count() < 1_000)
            {
                Assert.True(DateTime.UtcNow < deadline, "the first run committed too little within a minute");
                await Task.Delay(50);
            }
            savepoint = await client.TriggerSavepointAsync(Path.Combine(_dir, "savepoints"), stop: true);
            var stopped = await client.Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(JobState.Canceled, stopped.State);
        }
        int atStop = CommittedFiles.ReadLines(rescaled).Count();
        Assert.InRange(atStop, 1, Events - 1);
        await using (var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "after.db"))))
        {
            var result = await runtime.Submit(Job(input, rescaled, after, rate: 0).Build(), Checkpointed with { FromSavepoint = savepoint })
                .Completion.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
            Assert.NotNull(result.RestoredFrom);
        }

        var (lists, repeated) = RecommendationReplay.ReadCommitted(rescaled);
        Assert.Null(RecommendationReplay.ExactlyOnceViolations(events, lists, repeated));
        // The lists after the rescale, against the same events' lists of the uninterrupted run at the new parallelism.
        var later = events.Skip(atStop).ToList();
        var recall = ListRecall.Compute(later, lists);
        var referenceRecall = ListRecall.Compute(later, referenceLists);
        output.WriteLine($"{before} -> {after}: stopped after {atStop} lists; recall after the rescale {recall}, uninterrupted {referenceRecall}");
        Assert.True(recall.Recall >= referenceRecall.Recall * 0.9, $"recall after the rescale {recall} against {referenceRecall} uninterrupted: did the rescale lose learned state?");
    }
}
