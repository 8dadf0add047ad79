using Akka.Actor;
using RecoFlow.Api.Functions;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Runtime;

/// <summary>A job's own batch size (<see cref="StreamJob.WithBatchSize"/>): refused below one, carried by the graph, used by its tasks.</summary>
public sealed class JobBatchSizeTests
{
    private sealed record Click(string User, long Ts);

    [Fact]
    public void A_batch_below_one_record_is_refused_naming_it()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new StreamJob("j").WithBatchSize(0));
        Assert.Equal("records", e.ParamName);
        Assert.Contains("at least 1 record", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tasks_of_a_job_with_its_own_batch_size_use_it_and_others_use_the_runtimes()
    {
        using var deadLetters = new DeadLetterCollector();
        using var system = ActorSystem.Create("batch-size-test");
        var runtime = RuntimeSettings.Default;

        TaskEnvironment Env(StreamJob job)
        {
            job.FromSource(new CollectionSource<int>([1, 2, 3]), WatermarkStrategy<int>.NoWatermarks(), "numbers").SinkTo(new CollectSink<int>());
            return TaskEnvironment.Factory(runtime, job.Build(), new SystemClock(), deadLetters, null, checkpointing: false)(ActorRefs.Nobody, system.Scheduler);
        }

        var own = Env(new StreamJob("own").WithBatchSize(7));
        Assert.Equal(7, own.Settings.BatchSize);
        Assert.Equal(runtime.ChannelCredits, own.Settings.ChannelCredits);
        Assert.Equal(runtime.BatchSize, Env(new StreamJob("default")).Settings.BatchSize);
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Batches_of_a_few_records_give_the_same_counts(int batchSize)
    {
        var events = Enumerable.Range(0, 5_000).Select(i => new Click($"u{i % 37}", 1_000_000 + i * 10L)).ToList();
        var job = new StreamJob("small-batches").WithDefaultParallelism(2).WithBatchSize(batchSize);
        var sink = new CollectSink<(string User, int Count)>();
        job.FromSource(new CollectionSource<Click>(events, splits: 2), WatermarkStrategy<Click>.ForMonotonousTimestamps().WithTimestampAssigner(c => c.Ts), "clicks")
            .KeyBy(c => c.User)
            .Process(new RunningCount())
            .SinkTo(sink);

        await using var runtime = LocalRuntime.Start();
        var result = await runtime.Submit(job.Build()).WaitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(JobState.Finished, result.State);
        var finalCounts = sink.Items.GroupBy(r => r.User).ToDictionary(g => g.Key, g => g.Max(r => r.Count));
        Assert.Equal(events.GroupBy(e => e.User).ToDictionary(g => g.Key, g => g.Count()), finalCounts);
        Assert.Equal(events.Count, sink.Items.Count);
    }

    private sealed class RunningCount : KeyedProcessFunction<string, Click, (string User, int Count)>
    {
        private IValueState<int>? _count;

        public override void OpenState(IKeyedStateBackend<string> state) => _count = state.GetValueState(new ValueStateDescriptor<int>("count"));

        public override void ProcessElement(Click value, IKeyedProcessContext<string> context, ICollector<(string User, int Count)> output)
        {
            int n = _count!.Value + 1;
            _count.Update(n);
            output.Collect((value.User, n));
        }
    }
}
