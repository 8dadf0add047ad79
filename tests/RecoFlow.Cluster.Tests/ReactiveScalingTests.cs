using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Reactive mode on node processes: two nodes run a paced YSB from a 6-partition topic of a dev broker process with
/// <c>--reactive</c> (parallelism 2: two worker nodes, one slot each); a third node joins, and the job manager rescales
/// the job through a savepoint and a restart to parallelism 3 within a minute, its keyed tasks on all three nodes; the
/// committed output is exactly the direct count once the input has ended.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ReactiveScalingTests(TwoNodeCluster cluster, ITestOutputHelper log) : IClassFixture<TwoNodeCluster>
{
    [Fact]
    public async Task A_joining_node_rescales_a_reactive_job_to_parallelism_3_and_the_output_is_exact()
    {
        // Nothing late and disorder below the bound: the count does not depend on how partitions interleave. 120k events
        // at 2,500/s: about 48 s of input, so the job still runs at parallelism 3 after the rescale.
        await using var ysb = await KafkaYsbInput.StartAsync(cluster.Directory, "reactive", 120_000, 31);
        var output = ysb.Output;

        var submit = await Cli.RunAsync(["submit", "ysb", "--reactive", "--cluster", cluster.Nodes[0].Http.ToString(),
            .. ysb.Parameters,
            "--param", "source-parallelism=2", "--param", "rate=2500",
            ]);
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        var id = submit.Out;

        var status = await cluster.JobStatusAsync(id, s => s["state"]?.GetValue<string>() == "RUNNING" && s["last_checkpoint"] is not null, TimeSpan.FromSeconds(60), "RUNNING with a completed checkpoint");
        Assert.Equal(2, status["parallelism"]!.GetValue<int>());
        Assert.True(status["reactive"]!.GetValue<bool>());

        var joined = Stopwatch.StartNew();
        var third = await cluster.AddNodeAsync();
        log.WriteLine($"third node {third.Address} up {joined.Elapsed.TotalSeconds:F1} s after its start");
        status = await cluster.JobStatusAsync(id, s => s["parallelism"]?.GetValue<int>() == 3 && s["state"]?.GetValue<string>() == "RUNNING", TimeSpan.FromSeconds(60),
            "RUNNING at parallelism 3 within a minute of the third node's start");
        log.WriteLine($"parallelism 3 {joined.Elapsed.TotalSeconds:F1} s after the third node's start: {status.ToJsonString()}");
        var decision = Assert.Single(status["scaling"]!.AsArray());
        Assert.Equal((2, 3, 3, "done"), (decision!["from"]!.GetValue<int>(), decision["to"]!.GetValue<int>(), decision["workers"]!.GetValue<int>(), decision["outcome"]!.GetValue<string>()));
        // The decision is in the job manager's log (a node logs warnings and up to standard error).
        Assert.Contains("rescales it from parallelism 2 to 3", cluster.Logs(), StringComparison.Ordinal);

        // The keyed tasks of the rescaled job: three, one on each node.
        JsonNode? job = null;
        await cluster.Eventually(async () =>
        {
            job = await cluster.GetAsync(cluster.Nodes[0], $"api/jobs/{id}");
            return KeyedTaskNodes(job!).Distinct().Count() == 3 || job!["status"]?.GetValue<string>() == "FINISHED";
        }, TimeSpan.FromSeconds(30), "keyed tasks on three nodes");
        var keyed = KeyedTaskNodes(job!);
        Assert.Equal(3, keyed.Count);
        Assert.Equal(cluster.Nodes.Select(n => n.Address).Order(), keyed.Order());

        status = await cluster.JobStatusAsync(id, s => s["state"]?.GetValue<string>() == "FINISHED", TimeSpan.FromSeconds(180), "FINISHED");
        Assert.Equal(3, status["parallelism"]!.GetValue<int>());

        var expected = ysb.Expected();
        ThreeNodeCluster.AssertCommittedOutputExact(output, expected);
    }

    private static List<string> KeyedTaskNodes(JsonNode job) =>
        job["tasks"]!.AsArray().Where(t => t!["name"]!.GetValue<string>().StartsWith("count per campaign", StringComparison.Ordinal))
            .Select(t => t!["node"]!.GetValue<string>()).ToList();
}
