using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;

namespace RecoFlow.Tests.Runtime;

[Trait("Category", "Slow")]
public sealed class PipelineTests
{
    private sealed record Click(string User, long Ts);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Tumbling_window_counts_match_independent_count(int parallelism)
    {
        var rng = new Random(42);
        var events = Enumerable.Range(0, 20_000).Select(i => new Click($"u{rng.Next(50)}", 1_000_000 + i * 10L + rng.Next(-3000, 3000))).ToList();
        var job = new StreamJob("smoke").WithDefaultParallelism(parallelism);
        var sink = new CollectSink<(string User, long Start, long Count)>();
        var late = new OutputTag<Click>("late");
        var counted = job.FromSource(new CollectionSource<Click>(events, splits: 2), WatermarkStrategy<Click>.ForBoundedOutOfOrderness(TimeSpan.FromSeconds(5)).WithTimestampAssigner(c => c.Ts), "clicks")
            .KeyBy(c => c.User)
            .Window(TumblingWindows<Click>.OfEventTime(TimeSpan.FromSeconds(10)))
            .SideOutputLateData(late)
            .Aggregate(new CountAggregate<Click>(), (user, w, n) => (user, w.Start, n));
        counted.SinkTo(sink);
        var lateSink = new CollectSink<Click>();
        counted.GetSideOutput(late).SinkTo(lateSink);

        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        var result = await client.WaitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(RecoFlow.Runtime.Execution.JobState.Finished, result.State);

        var lateSet = lateSink.Items.ToHashSet();
        var expected = events.Where(e => !lateSet.Contains(e))
            .GroupBy(e => (e.User, Start: e.Ts - e.Ts % 10_000)).ToDictionary(g => g.Key, g => (long)g.Count());
        var actual = sink.Items.ToDictionary(r => (r.User, r.Start), r => r.Count);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (k, v) in expected) Assert.Equal(v, actual[k]);
        Assert.Equal(events.Count, expected.Values.Sum() + lateSet.Count);
    }
}
