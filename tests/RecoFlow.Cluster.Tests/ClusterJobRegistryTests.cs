using Akka.Actor;
using Akka.TestKit;
using RecoFlow.Cluster.Jobs;
using RecoFlow.ControlPlane;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// A node's side of job operations (<see cref="ClusterJobRegistry"/>) against a test probe standing in for the job
/// manager singleton: what it asks, and how the answers become HTTP results.
/// </summary>
public sealed class ClusterJobRegistryTests : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>A job manager that answers job lists at once and leaves everything else to the test.</summary>
    private TestProbe JobManager()
    {
        var probe = CreateTestProbe();
        probe.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is ListJobs) sender.Tell(new JobList([], "akka.tcp://recoflow@127.0.0.1:4053"));
            return AutoPilot.KeepRunning;
        }));
        return probe;
    }

    private static T Next<T>(TestProbe probe) => probe.FishForMessage<T>(_ => true);

    [Fact]
    public async Task A_submission_is_asked_of_the_job_manager_with_its_parallelism_and_a_rejection_is_a_400_naming_the_cause()
    {
        var jobManager = JobManager();
        await using var registry = new ClusterJobRegistry(jobManager, TimeSpan.FromHours(1), TimeSpan.FromSeconds(10));
        var submitted = registry.SubmitAsync(new JobSubmitRequest("ysb", new() { ["rate"] = "10" }, null, null, null, Parallelism: 3), CancellationToken.None);
        var ask = Next<SubmitJob>(jobManager);
        Assert.Equal(("ysb", 3, "10"), (ask.Submission.Job, ask.Submission.Parallelism, ask.Submission.Parameters["rate"]));
        jobManager.Reply(new JobRejected("job 'ysb': missing parameter 'input'"));
        var result = await submitted;
        Assert.Equal((400, "job 'ysb': missing parameter 'input'"), (result.Status, result.Error));
    }

    [Fact]
    public async Task A_state_backend_reaches_the_job_manager_and_an_unknown_one_is_refused_without_asking()
    {
        var jobManager = JobManager();
        await using var registry = new ClusterJobRegistry(jobManager, TimeSpan.FromHours(1), TimeSpan.FromSeconds(10));
        var refused = await registry.SubmitAsync(new JobSubmitRequest("ysb", [], null, null, null, StateBackend: "leveldb"), CancellationToken.None);
        Assert.Equal((400, "unknown \"state_backend\" 'leveldb' (known: heap, rocksdb)"), (refused.Status, refused.Error));

        var submitted = registry.SubmitAsync(new JobSubmitRequest("ysb", [], null, null, null, StateBackend: "RocksDB"), CancellationToken.None);
        var ask = Next<SubmitJob>(jobManager);
        Assert.Equal(Api.State.StateBackendKind.RocksDb, ask.Submission.StateBackend);
        jobManager.Reply(new JobAccepted("ysb-1"));
        Assert.Equal(201, (await submitted).Status);
    }

    [Fact]
    public async Task A_stop_with_drain_into_a_directory_reaches_the_job_manager_and_answers_the_savepoint()
    {
        var jobManager = JobManager();
        await using var registry = new ClusterJobRegistry(jobManager, TimeSpan.FromHours(1), TimeSpan.FromSeconds(10));
        var stopped = registry.SavepointAsync("ysb-1", new SavepointCommand(Stop: true, "/shared/sp", Drain: true), CancellationToken.None);
        var ask = Next<SavepointClusterJob>(jobManager);
        Assert.Equal(new SavepointClusterJob("ysb-1", true, "/shared/sp", true), ask);
        jobManager.Reply(new JobCommandDone("ysb-1", "/shared/sp/savepoint-7"));
        Assert.Equal(new JobOperationResult(200, "ysb-1", "/shared/sp/savepoint-7"), await stopped);
    }

    [Fact]
    public async Task A_relative_savepoint_directory_is_refused_without_asking_and_a_silent_job_manager_is_a_503()
    {
        var jobManager = CreateTestProbe(); // answers nothing
        await using var registry = new ClusterJobRegistry(jobManager, TimeSpan.FromHours(1), TimeSpan.FromMilliseconds(300));
        var relative = await registry.SavepointAsync("ysb-1", new SavepointCommand(Stop: false, "savepoints"), CancellationToken.None);
        Assert.Equal(400, relative.Status);
        Assert.Contains("absolute path", relative.Error, StringComparison.Ordinal);

        var cancel = await registry.CancelAsync("ysb-1", CancellationToken.None);
        Assert.Equal(503, cancel.Status);
        Assert.Contains("did not answer", cancel.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(jobManager.ReceiveN(2, TimeSpan.FromSeconds(5)), m => m is SavepointClusterJob);
    }
}
