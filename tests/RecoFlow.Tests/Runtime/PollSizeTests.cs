using Akka.Configuration;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime.Execution;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Runtime;

/// <summary>
/// Source steps of up to <c>recoflow.runtime.poll-size</c> records: a quiet source's few records go through at once
/// whatever the poll size, and a busy source's large steps (far more records than a channel batch holds, and than
/// its channels have credit for) still deliver every record once.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PollSizeTests
{
    private static readonly Config LargePolls = ConfigurationFactory.ParseString("recoflow.runtime { poll-size = 100000, batch-size = 256, channel-credits = 2 }");

    [Fact]
    public void Settings_built_without_a_poll_size_take_the_reference_default()
    {
        var built = new RuntimeSettings(BatchSize: 64, ChannelCredits: 2, TimeSpan.FromMilliseconds(10), MaxParallelism: 128, DeadLettersKept: 10);
        Assert.Equal(1024, built.PollSize);
        Assert.Equal(RuntimeSettings.Default.PollSize, built.PollSize);
        Assert.Equal(100_000, RuntimeSettings.From(LargePolls).PollSize);
    }

    [Fact]
    public async Task A_quiet_stream_gets_every_record_through_at_once_whatever_the_poll_size()
    {
        // The source emits its next record only after the sink has received the previous one, across two network
        // edges: a record held until a step is full would stop the job, which must end within the test's deadline.
        const int total = 20;
        var sink = new CollectSink<long>();
        var job = new StreamJob("quiet").WithDefaultParallelism(2);
        job.FromSource(new HandshakeSource(total, () => sink.Count), WatermarkStrategy<long>.NoWatermarks(), "handshake").SetParallelism(1)
            .Rebalance().Map(x => x * 10, "hop")
            .Rebalance().SinkTo(sink, "collect");
        var run = await JobTestDriver.RunAsync(job, TimeSpan.FromSeconds(60), config: LargePolls);
        Assert.Equal(JobState.Finished, run.Result.State);
        Assert.Equal(Enumerable.Range(0, total).Select(i => i * 10L), sink.Items.Order());
    }

    [Fact]
    public async Task A_busy_stream_in_steps_larger_than_its_credits_delivers_every_record_once()
    {
        const int total = 300_000;
        var sink = new CollectSink<long>();
        var job = new StreamJob("busy").WithDefaultParallelism(3);
        job.FromSource(new GeneratorSource<long>(n => n, total), WatermarkStrategy<long>.NoWatermarks(), "numbers")
            .KeyBy(x => x % 97).Map(x => x + 1, "hop")
            .Rebalance().SinkTo(sink, "collect");
        var run = await JobTestDriver.RunAsync(job, TimeSpan.FromMinutes(2), config: LargePolls);
        Assert.Equal(JobState.Finished, run.Result.State);
        Assert.Equal(total, sink.Count);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), sink.Items.Order());
    }

    /// <summary>A bounded source that emits record i only once <c>received()</c> is i (one record per poll).</summary>
    private sealed class HandshakeSource(int total, Func<int> received) : ISource<long>
    {
        public Boundedness Boundedness => Boundedness.Bounded;
        public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) => [new("only", 0)];
        public ISourceReader<long> CreateReader(SourceContext context) => new Reader(total, received);
        public string Describe() => "handshake";

        private sealed class Reader(int total, Func<int> received) : ISourceReader<long>
        {
            private long _next;
            public void AddSplits(IReadOnlyList<SourceSplit> splits) { }

            public PollStatus Poll(ISourceOutput<long> output, int maxRecords)
            {
                if (_next == total) return received() == total ? PollStatus.EndOfInput : PollStatus.NothingAvailable;
                if (received() < _next) return PollStatus.NothingAvailable;
                output.Collect("only", _next, _next);
                _next++;
                return PollStatus.NothingAvailable;
            }

            public IReadOnlyList<SourceSplit> SnapshotSplits() => [new("only", _next)];
            public void Dispose() { }
        }
    }
}
