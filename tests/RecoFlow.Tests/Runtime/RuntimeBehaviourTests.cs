using Akka.Configuration;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Runtime;

[Trait("Category", "Slow")]
public sealed class RuntimeBehaviourTests
{
    /// <summary>A slow sink behind a fast source: in-flight records stay within what the channel credits allow.</summary>
    [Fact]
    public async Task Backpressure_bounds_records_in_flight_when_the_sink_is_slower_than_the_source()
    {
        const int batch = 64, credits = 2, total = 200_000;
        long generated = 0, maxInFlight = 0;
        var config = ConfigurationFactory.ParseString($"recoflow.runtime {{ batch-size = {batch}, poll-size = {batch}, channel-credits = {credits} }}");
        var job = new StreamJob("backpressure");
        job.FromSource(new GeneratorSource<long>(n => { Interlocked.Increment(ref generated); return n; }, total), WatermarkStrategy<long>.NoWatermarks(), "fast")
            .Rebalance().Map(x => x + 1, "hop")
            .Rebalance().SinkTo(new SlowSink(() => Interlocked.Read(ref generated), inFlight => maxInFlight = Math.Max(maxInFlight, inFlight)), "slow");
        var run = await JobTestDriver.RunAsync(job, TimeSpan.FromMinutes(2), config: config);
        Assert.Equal(JobState.Finished, run.Result.State);
        // Two network edges, each: credits batches at the receiver, one queued at the sender, one being filled; plus one poll batch.
        const long bound = 2 * (credits + 2) * batch + 2 * batch;
        Assert.InRange(maxInFlight, 1, bound);
        Assert.True(run.Tasks.Sum(t => t.BackpressuredTicks) > 0, "the source side should have been backpressured");
    }

    private sealed class SlowSink(Func<long> generated, Action<long> observe) : ISink<long>
    {
        public ISinkWriter<long> CreateWriter(SinkContext context) => new Writer(generated, observe);
        public string Describe() => "slow";

        private sealed class Writer(Func<long> generated, Action<long> observe) : ISinkWriter<long>
        {
            private long _written;
            public void Write(long value, long timestamp)
            {
                _written++;
                observe(generated() - _written);
                Thread.SpinWait(200);
            }
            public void Flush(bool endOfInput) { }
            public void Dispose() { }
        }
    }

    /// <summary>An unbounded source with two splits; only "busy" has data: one record per poll at 1 s steps of event time, up to 30 s.</summary>
    private sealed class OneSilentSplitSource : ISource<long>
    {
        public Boundedness Boundedness => Boundedness.Unbounded;
        public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) => [new("busy", 0), new("silent", 0)];
        public ISourceReader<long> CreateReader(SourceContext context) => new Reader();
        public string Describe() => "one silent split";

        private sealed class Reader : ISourceReader<long>
        {
            private long _pos;
            public void AddSplits(IReadOnlyList<SourceSplit> splits) { }
            public PollStatus Poll(ISourceOutput<long> output, int maxRecords)
            {
                var ts = Math.Min(1_000 * (_pos + 1), 30_000);
                output.Collect("busy", ts, ts);
                _pos++;
                return PollStatus.NothingAvailable;
            }
            public IReadOnlyList<SourceSplit> SnapshotSplits() => [new("busy", _pos), new("silent", 0)];
            public void Dispose() { }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_idle_split_does_not_hold_back_event_time_when_idleness_is_configured(bool withIdleness)
    {
        var strategy = WatermarkStrategy<long>.ForMonotonousTimestamps();
        if (withIdleness) strategy = strategy.WithIdleness(TimeSpan.FromMilliseconds(200));
        var job = new StreamJob("idle");
        var sink = new CollectSink<long>();
        job.FromSource(new OneSilentSplitSource(), strategy, "src")
            .WindowAll(TumblingWindows<long>.OfEventTime(TimeSpan.FromSeconds(10)))
            .Aggregate(new CountAggregate<long>(), "count")
            .SinkTo(sink);
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        var deadline = DateTime.UtcNow.AddSeconds(withIdleness ? 20 : 2);
        while (sink.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        client.Cancel();
        await client.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        if (withIdleness) Assert.Equal(9L, sink.Items[0]); // [0, 10 s) holds the records at 1 s .. 9 s
        else Assert.Empty(sink.Items);
    }

    [Fact]
    public async Task An_operator_that_throws_fails_the_job_with_its_exception()
    {
        var job = new StreamJob("boom");
        job.FromSource(new CollectionSource<int>([1, 2, 3]), WatermarkStrategy<int>.NoWatermarks(), "src")
            .Map(i => i == 2 ? throw new InvalidOperationException("bad record 2") : i, "explode")
            .SinkTo(new CollectSink<int>());
        var e = await Assert.ThrowsAsync<JobFailedException>(() => JobTestDriver.RunAsync(job));
        Assert.Contains("bad record 2", e.Message);
    }

    [Fact]
    public async Task Union_broadcast_and_side_outputs_route_every_record()
    {
        var job = new StreamJob("routes").WithDefaultParallelism(2);
        var odd = new OutputTag<int>("odd");
        var a = job.FromSource(new CollectionSource<int>(Enumerable.Range(0, 100).ToList(), splits: 2), WatermarkStrategy<int>.NoWatermarks(), "a");
        var b = job.FromSource(new CollectionSource<int>(Enumerable.Range(100, 100).ToList()), WatermarkStrategy<int>.NoWatermarks(), "b").SetParallelism(1);
        var evens = a.Union(b).Process(new SplitOdd(odd), "split");
        var evenSink = new CollectSink<int>();
        var oddSink = new CollectSink<int>();
        var broadcastSink = new CollectSink<int>();
        evens.SinkTo(evenSink);
        evens.GetSideOutput(odd).SinkTo(oddSink).SetParallelism(1);
        evens.Broadcast().Map(x => x).SinkTo(broadcastSink);
        await JobTestDriver.RunAsync(job);
        Assert.Equal(Enumerable.Range(0, 200).Where(i => i % 2 == 0).ToHashSet(), evenSink.Items.ToHashSet());
        Assert.Equal(Enumerable.Range(0, 200).Where(i => i % 2 == 1).Order().ToList(), oddSink.Items.Order().ToList());
        Assert.Equal(200, broadcastSink.Count); // 100 evens to each of 2 subtasks
    }

    private sealed class SplitOdd(OutputTag<int> odd) : ProcessFunction<int, int>
    {
        public override void ProcessElement(int value, IProcessContext context, ICollector<int> output)
        {
            if (value % 2 == 0) output.Collect(value);
            else context.Output(odd, value);
        }
    }
}
