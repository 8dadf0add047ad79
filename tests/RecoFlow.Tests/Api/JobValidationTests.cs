using RecoFlow.Api.Functions;
using RecoFlow.Api.Graph;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Memory;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Api;

public sealed class JobValidationTests
{
    private static DataStream<int> Numbers(StreamJob job) =>
        job.FromSource(new CollectionSource<int>([1, 2, 3]), WatermarkStrategy<int>.ForMonotonousTimestamps().WithTimestampAssigner(i => i), "numbers");

    [Fact]
    public void A_job_without_sink_is_rejected()
    {
        var job = new StreamJob("j");
        Numbers(job).Map(i => i * 2, "double");
        var e = Assert.Throws<JobValidationException>(() => job.Build());
        Assert.Contains(e.Problems, p => p.Contains("no sink"));
        Assert.Contains(e.Problems, p => p.Contains("Map 'double'") && p.Contains("dangling"));
    }

    [Fact]
    public void Duplicate_uids_are_rejected_naming_both_operators()
    {
        var job = new StreamJob("j");
        var s = Numbers(job);
        s.Map(i => i, "first").Uid("same").SinkTo(new CollectSink<int>());
        s.Map(i => i, "second").Uid("same").SinkTo(new CollectSink<int>());
        var e = Assert.Throws<JobValidationException>(() => job.Build());
        var p = Assert.Single(e.Problems);
        Assert.Contains("uid 'same'", p);
        Assert.Contains("'first'", p);
        Assert.Contains("'second'", p);
    }

    [Fact]
    public void A_window_on_a_non_keyed_stream_with_parallelism_above_one_is_rejected()
    {
        var job = new StreamJob("j");
        Numbers(job).WindowAll(TumblingWindows<int>.OfEventTime(TimeSpan.FromSeconds(1)))
            .Reduce((a, b) => a + b, "sum all").SetParallelism(4)
            .SinkTo(new CollectSink<int>());
        var e = Assert.Throws<JobValidationException>(() => job.Build());
        Assert.Contains(e.Problems, p => p.Contains("'sum all'") && p.Contains("parallelism 4"));
    }

    [Fact]
    public void Explain_describes_operators_edges_and_windows()
    {
        var job = new StreamJob("explained");
        Numbers(job).KeyBy(i => i % 2).Window(TumblingWindows<int>.OfEventTime(TimeSpan.FromSeconds(5))).Aggregate(new CountAggregate<int>(), "count").SinkTo(new CollectSink<long>());
        var text = job.Explain();
        Assert.Contains("Source 'numbers'", text);
        Assert.Contains("Window 'count'", text);
        Assert.Contains("hash(Int32)", text);
        Assert.Contains("TumblingEventTime(5000 ms)", text);
    }

    [Fact]
    public async Task A_null_key_at_run_time_goes_to_dead_letters_naming_the_keyed_operator()
    {
        var job = new StreamJob("nullkeys");
        var sink = new CollectSink<long>();
        job.FromSource(new CollectionSource<string?>(["a", null, "a", "b"]), WatermarkStrategy<string?>.NoWatermarks(), "words")
            .KeyBy(w => w!)
            .Reduce((a, b) => a + b, "concat")
            .Map(s => (long)s!.Length)
            .SinkTo(sink);
        var run = await JobTestDriver.RunAsync(job);
        Assert.Equal(3, sink.Count);
        var d = Assert.Single(run.DeadLetters);
        Assert.Contains("'concat'", d.Reason);
        Assert.Contains("returned null", d.Reason);
    }

    [Fact]
    public void Building_a_job_runs_nothing()
    {
        var job = new StreamJob("lazy");
        var touched = 0;
        Numbers(job).Map(i => { touched++; return i; }).SinkTo(new CollectSink<int>());
        job.Build();
        job.Explain();
        Assert.Equal(0, touched);
    }
}
