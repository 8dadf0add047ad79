using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>Operating jobs on a three-node cluster: savepoints, stop with savepoint and resume, and the job manager's node leaving gracefully.</summary>
[Trait("Category", "Slow")]
public sealed class JobOperationTests(ThreeNodeCluster cluster, ITestOutputHelper log) : IClassFixture<ThreeNodeCluster>
{
    private async Task<string> SubmitYsbAsync(string output, params string[] extra)
    {
        var args = new List<string> { "submit", "ysb", "--cluster", cluster.AnyLiveNode.Http.ToString(),
            "--param", $"input={cluster.Input}", "--param", $"campaigns={cluster.Campaigns}", "--param", $"output={output}",
            // Paced at 250k events/s (10 s for the input), so the job is still running when a node leaves or stops it.
            "--param", "rate=250000" };
        args.AddRange(extra);
        var submit = await Cli.RunAsync([.. args]);
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        return submit.Out;
    }

    private async Task<JsonNode> WaitForStateAsync(string id, string state, bool withCheckpoint = false, int seconds = 120)
    {
        JsonNode? status = null;
        await cluster.Eventually(async () =>
        {
            var r = await Cli.RunAsync("status", id, "--cluster", cluster.AnyLiveNode.Http.ToString(), "--json");
            status = r.Code == 0 ? JsonNode.Parse(r.Out) : null;
            var s = status?["state"]?.GetValue<string>();
            if (state != "FAILED") Assert.NotEqual("FAILED", s);
            return s == state && (!withCheckpoint || status!["last_checkpoint"] is not null);
        }, TimeSpan.FromSeconds(seconds), $"job {id} {state}");
        return status!;
    }

    [Fact]
    public async Task Savepoint_into_a_directory_then_stop_then_resume_at_another_parallelism_gives_exact_output()
    {
        // Every node turns ready (member up; on job manager nodes the singleton answers) once the cluster has formed.
        foreach (var node in cluster.Nodes)
            await cluster.Eventually(async () => (await cluster.GetAsync(node, "health/ready"))?["status"]?.GetValue<string>() == "Healthy", TimeSpan.FromSeconds(60), $"{node.Address} ready");
        var output = Path.Combine(cluster.Directory, "counts-savepoint");
        var id = await SubmitYsbAsync(output);
        await WaitForStateAsync(id, "RUNNING", withCheckpoint: true);
        // As a Flink user would: the cluster from the environment, a savepoint directory of their choosing, stop = savepoint.
        var env = new Dictionary<string, string> { ["RECOFLOW_CLUSTER"] = cluster.AnyLiveNode.Http.ToString() };

        var target = Path.Combine(cluster.Directory, "my-savepoints");
        var savepoint = await Cli.RunAsync(env, "savepoint", id, target);
        Assert.True(savepoint.Code == 0, savepoint.Err);
        Assert.True(Directory.Exists(savepoint.Out), $"savepoint directory {savepoint.Out} missing");
        Assert.Equal(target, Path.GetDirectoryName(savepoint.Out));

        var stop = await Cli.RunAsync(env, "stop", id);
        Assert.True(stop.Code == 0, stop.Err);
        Assert.True(Directory.Exists(stop.Out), $"savepoint directory {stop.Out} missing");
        await WaitForStateAsync(id, "CANCELED");
        var again = await Cli.RunAsync(env, "cancel", id);
        Assert.Equal(2, again.Code);
        Assert.Equal($"recoflow: job {id} already ended (CANCELED)", again.Err);

        var resumed = await SubmitYsbAsync(output, "--from-savepoint", stop.Out, "-p", "2");
        var detail = await cluster.GetAsync(cluster.AnyLiveNode, $"api/jobs/{resumed}");
        Assert.Equal(2, detail!["graph"]!["vertices"]!.AsArray().Max(v => v!["parallelism"]!.GetValue<int>()));
        await WaitForStateAsync(resumed, "FINISHED");
        cluster.AssertCommittedOutputExact(output);
    }

    [Fact]
    public async Task When_the_job_managers_node_leaves_gracefully_the_job_moves_and_the_output_is_exact()
    {
        var output = Path.Combine(cluster.Directory, "counts-leave");
        var id = await SubmitYsbAsync(output);
        var status = await WaitForStateAsync(id, "RUNNING", withCheckpoint: true);
        var host = status["node"]!.GetValue<string>();
        var leaving = cluster.Nodes.Single(n => n.Address == host);
        var sw = Stopwatch.StartNew();
        Assert.True(await leaving.LeaveAsync(TimeSpan.FromSeconds(60)), $"node {host} did not leave within 60 s:\n{leaving.Log}");
        log.WriteLine($"{host} left in {sw.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("node left", leaving.Log, StringComparison.Ordinal);

        JsonNode? after = null;
        await cluster.Eventually(async () =>
        {
            after = await cluster.GetAsync(cluster.AnyLiveNode, $"api/jobs/{id}");
            var s = after?["status"]?.GetValue<string>();
            Assert.NotEqual("FAILED", s);
            return s == "FINISHED" && after!["node"]!.GetValue<string>() != host;
        }, TimeSpan.FromSeconds(120), "job FINISHED on another node");
        log.WriteLine($"finished on {after!["node"]} {sw.Elapsed.TotalSeconds:F1} s after the leave started");
        cluster.AssertCommittedOutputExact(output);
    }
}
