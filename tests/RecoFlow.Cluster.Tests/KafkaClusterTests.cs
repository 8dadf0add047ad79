using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using RecoFlow.Connectors.Files;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// YSB on three node processes reading a 6-partition topic of a dev broker process (a real Kafka-protocol broker),
/// its keyed tasks spread over the nodes. A worker that hosts keyed tasks and is neither the seed nor the job
/// manager's node is killed with SIGKILL mid-stream: the job restarts from its last completed checkpoint with those
/// key groups on the survivors, and the committed output equals the direct count exactly.
/// </summary>
[Trait("Category", "Slow")]
public sealed class KafkaClusterTests(ThreeNodeCluster cluster, ITestOutputHelper log) : IClassFixture<ThreeNodeCluster>
{
    [Fact]
    public async Task Killing_a_worker_that_hosts_keyed_tasks_restarts_them_on_the_survivors_and_the_output_is_exact()
    {
        // Disorder below the bound and nothing late: the count does not depend on how partitions interleave. 120k
        // events stay within the dev broker's retention (5 MiB per partition, docs/kafka.md).
        await using var ysb = await KafkaYsbInput.StartAsync(cluster.Directory, "kafka", 120_000, 29);
        var output = ysb.Output;

        var submit = await Cli.RunAsync(["submit", "ysb", "--cluster", cluster.Nodes[0].Http.ToString(),
            .. ysb.Parameters,
            "--param", "source-parallelism=2", "--param", "parallelism=3", "--param", "rate=6000", // 20 s of input: the kill lands mid-stream, even when a loaded machine is slow to start the job
            ]);
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        var id = submit.Out;

        // RUNNING with a completed checkpoint, and the keyed tasks placed on all three nodes.
        JsonNode? job = null;
        await cluster.Eventually(async () =>
        {
            job = await cluster.GetAsync(cluster.Nodes[1], $"api/jobs/{id}");
            var status = job?["status"]?.GetValue<string>();
            Assert.True(status is not ("FINISHED" or "FAILED" or "CANCELED"), $"the job ended ({status}) before it was seen RUNNING with a completed checkpoint, so there was nothing to kill mid-stream: {job?.ToJsonString()}");
            return status == "RUNNING" && job!["last_checkpoint"] is JsonObject;
        }, TimeSpan.FromSeconds(60), "job RUNNING with a completed checkpoint");
        var master = job!["node"]!.GetValue<string>();
        var keyed = KeyedTaskNodes(job);
        log.WriteLine($"job {id}: master on {master}, keyed tasks on {string.Join(", ", keyed)}");
        Assert.Equal(3, keyed.Count);
        Assert.Equal(3, keyed.Distinct().Count());
        var victim = cluster.Nodes.Skip(1).First(n => n.Address != master && keyed.Contains(n.Address));

        var killed = Stopwatch.StartNew();
        await victim.KillAsync();
        var survivor = cluster.Nodes.First(n => !n.HasExited);
        await cluster.Eventually(async () =>
        {
            job = await cluster.GetAsync(survivor, $"api/jobs/{id}");
            var s = job?["status"]?.GetValue<string>();
            Assert.NotEqual("FAILED", s);
            return s == "FINISHED";
        }, TimeSpan.FromSeconds(120), "job FINISHED after the worker's death");
        log.WriteLine($"finished {killed.Elapsed.TotalSeconds:F1} s after the kill; restarts {job!["restarts"]}");
        Assert.True(job!["restarts"]!.GetValue<int>() >= 1, "the worker's death restarted the job");
        var after = KeyedTaskNodes(job);
        Assert.DoesNotContain(victim.Address, after);
        Assert.Equal(master, job["node"]!.GetValue<string>()); // the job manager did not move

        var expected = ysb.Expected();
        var actual = new Dictionary<(string, long), long>();
        foreach (var line in CommittedFiles.ReadLines(output))
        {
            var r = JsonDocument.Parse(line).RootElement;
            var key = (r.GetProperty("campaign_id").GetString()!, r.GetProperty("window_start").GetInt64());
            Assert.True(actual.TryAdd(key, r.GetProperty("count").GetInt64()), $"window {key} committed twice");
        }
        var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).OrderBy(k => k).ToList();
        var wrong = expected.Where(kv => actual.TryGetValue(kv.Key, out var n) && n != kv.Value).Select(kv => $"{kv.Key}: {actual[kv.Key]} not {kv.Value}").ToList();
        var extra = actual.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        Assert.True(missing.Count + wrong.Count + extra.Count == 0,
            $"{missing.Count} windows missing (e.g. {string.Join(", ", missing.Take(8))}), {wrong.Count} wrong (e.g. {string.Join("; ", wrong.Take(8))}), {extra.Count} unexpected; " +
            $"files: {string.Join(", ", Directory.GetFiles(output).Select(Path.GetFileName))}\n{cluster.Logs()}");
    }

    private static List<string> KeyedTaskNodes(JsonNode job) =>
        job["tasks"]!.AsArray().Where(t => t!["name"]!.GetValue<string>().StartsWith("count per campaign", StringComparison.Ordinal))
            .Select(t => t!["node"]!.GetValue<string>()).ToList();
}
