using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Memory;
using RecoFlow.TestKit;

namespace RecoFlowJob.Tests;

public sealed class ClicksPerMinuteTests
{
    private static readonly Click[] Clicks =
    [
        new("alice", 1_000), new("bob", 2_000), new("alice", 30_000),
        new("alice", 61_000), new("bob", 59_000), new("bob", 125_000),
    ];

    [Fact]
    public async Task The_job_counts_clicks_per_user_per_minute()
    {
        // The whole job, in process, over an in-memory source and sink.
        var job = new StreamJob("clicks-per-minute-test");
        var counts = new CollectSink<UserCount>();
        ClicksPerMinute.Pipeline(job, new CollectionSource<Click>(Clicks)).SinkTo(counts, "counts");

        await JobTestDriver.RunAsync(job, TimeSpan.FromMinutes(1));

        Assert.Equal(
        [
            new UserCount("alice", 0, 60_000, 2),
            new UserCount("alice", 60_000, 120_000, 1),
            new UserCount("bob", 0, 60_000, 2),
            new UserCount("bob", 120_000, 180_000, 1),
        ], counts.Items.OrderBy(c => c.User, StringComparer.Ordinal).ThenBy(c => c.Start).ToList());
    }

    [Fact]
    public void The_window_operator_keeps_its_counts_across_a_snapshot_and_restore()
    {
        // One operator, driven by hand: records, a snapshot and restore (as after a failure), then watermarks.
        var assigner = TumblingWindows<Click>.OfEventTime(TimeSpan.FromMinutes(1));
        var settings = new WindowSettings<Click, TimeWindow>(assigner, assigner.DefaultTrigger, 0, null);
        using var harness = new OperatorHarness<Click, UserCount>(
            () => new WindowOperator<string, Click, long, long, UserCount, TimeWindow>(c => c.User, settings, new CountAggregate<Click>(),
                WindowFunction<long, UserCount, string, TimeWindow>.FromSelector((user, w, n) => new UserCount(user, w.Start, w.End, n))),
            keyType: typeof(string)).Open();

        harness.ProcessElement(new Click("alice", 1_000), 1_000);
        harness.ProcessElement(new Click("alice", 30_000), 30_000);
        harness.SnapshotAndRestore();
        harness.ProcessElement(new Click("alice", 59_000), 59_000);
        harness.ProcessWatermark(59_998);
        Assert.Empty(harness.Output);

        harness.ProcessWatermark(59_999);
        Assert.Equal([new UserCount("alice", 0, 60_000, 3)], harness.OutputValues);
    }
}
