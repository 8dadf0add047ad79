using System.Diagnostics;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.Observability;

namespace RecoFlow.Tests.Runtime;

/// <summary>The engine's spans (ActivitySource "RecoFlow"): deploy, checkpoint and failover of a job that fails once.</summary>
[Trait("Category", "Slow")]
public sealed class TracingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tracing").FullName;

    /// <summary>Throws once, at the given record; shared by the subtasks' copies and across restarts.</summary>
    [SharedAcrossSubtasks]
    private sealed class FailOnce(long at)
    {
        private long _seen;
        private int _thrown;

        public long Pass(long value)
        {
            if (Interlocked.Increment(ref _seen) == at && Interlocked.Exchange(ref _thrown, 1) == 0)
                throw new InvalidOperationException($"failing once at record {at}");
            return value;
        }
    }

    [Fact]
    public async Task A_job_that_fails_once_records_its_deployments_checkpoints_and_failover_as_spans()
    {
        var name = "tracing-" + Guid.NewGuid().ToString("N")[..8];
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == RecoFlowTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (Equals(a.GetTagItem("recoflow.job.name"), name)) lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);

        var fail = new FailOnce(6_000);
        var job = new StreamJob(name);
        job.FromSource(new RateLimitedSource<long>(new CollectionSource<long>(Enumerable.Range(0, 12_000).Select(i => (long)i).ToList()), 5_000), WatermarkStrategy<long>.NoWatermarks(), "numbers")
            .Map(fail.Pass, "fail once").Uid("fail-once")
            .SinkTo(new CollectSink<long>(), "out").Uid("out");
        await using (var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db"))))
        {
            var result = await runtime.Submit(job.Build(), new JobRunOptions
            {
                Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100) },
                RestartStrategy = RestartStrategy.FixedDelay(3, TimeSpan.FromMilliseconds(50)),
            }).Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
            Assert.Equal(1, result.Restarts);
        }

        lock (spans)
        {
            var deploys = spans.Where(s => s.OperationName == "job.deploy").OrderBy(s => s.StartTimeUtc).ToList();
            Assert.Equal(2, deploys.Count);
            Assert.Null(deploys[0].GetTagItem("recoflow.restored_from"));
            Assert.NotNull(deploys[1].GetTagItem("recoflow.restored_from"));

            var failover = Assert.Single(spans, s => s.OperationName == "job.failover");
            Assert.Equal(ActivityStatusCode.Error, failover.Status);
            Assert.Contains("failing once at record 6000", failover.StatusDescription, StringComparison.Ordinal);
            Assert.Equal(true, failover.GetTagItem("recoflow.restart"));

            var checkpoints = spans.Where(s => s.OperationName == "checkpoint" && Equals(s.GetTagItem("recoflow.checkpoint.status"), "Completed")).ToList();
            Assert.NotEmpty(checkpoints);
            Assert.All(checkpoints, c => Assert.True(c.Duration > TimeSpan.Zero && c.GetTagItem("recoflow.checkpoint.id") is long));
            Assert.All(spans, s => Assert.Null(s.Parent)); // recorded as roots: no span leaks into an actor's later messages
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
