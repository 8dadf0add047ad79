using RecoFlow.Api.Streams;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.TestKit;

/// <summary>
/// Runs a whole job in-process on the embedded runtime (Streamiz: TopologyTestDriver; Flink: MiniCluster): build the
/// job with in-memory sources (CollectionSource) and sinks (CollectSink), run it to completion, then assert on the sinks.
/// </summary>
public static class JobTestDriver
{
    /// <summary>Runs a bounded job until it finishes; throws if it fails or does not finish within <paramref name="timeout"/>.</summary>
    public static async Task<JobRunResult> RunAsync(StreamJob job, TimeSpan? timeout = null, JobRunOptions? options = null, Akka.Configuration.Config? config = null)
    {
        var graph = job.Build();
        await using var runtime = LocalRuntime.Start(config);
        var client = runtime.Submit(graph, options);
        var result = await client.Completion.WaitAsync(timeout ?? TimeSpan.FromMinutes(2));
        if (result.State == JobState.Failed) throw new JobFailedException(result.JobId, result.Failure!);
        return new JobRunResult(result, client.DeadLetters, client.Metrics.Tasks);
    }
}

/// <summary>How a test run ended: the result, the dead letters, and the final task metrics.</summary>
public sealed record JobRunResult(JobResult Result, IReadOnlyList<Api.Operators.DeadLetter> DeadLetters, IReadOnlyList<TaskMetrics> Tasks);
