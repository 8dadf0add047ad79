using System.Text.Json.Nodes;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime.Execution;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// The autoscaler on two node processes with short thresholds (scale down below 50% for 3 s): a lightly loaded YSB
/// submitted with <c>-p 2 --min-parallelism 1 --max-parallelism 2</c> is rescaled down to 1 through a savepoint and a
/// restart, and its committed output is exactly the direct count.
/// </summary>
[Trait("Category", "Slow")]
public sealed class AutoscalerTests(AutoscalerCluster cluster, ITestOutputHelper log) : IClassFixture<AutoscalerCluster>
{
    [Fact]
    public async Task A_lightly_loaded_job_is_scaled_down_to_its_min_parallelism_and_the_output_is_exact()
    {
        var table = YsbData.Campaigns();
        var input = Path.Combine(cluster.Directory, "autoscaler-events.jsonl");
        var campaigns = Path.Combine(cluster.Directory, "autoscaler-campaigns.csv");
        YsbData.WriteCampaigns(campaigns, table);
        // 100k events at 5,000/s: about 20 s, far below what two tasks (or one) can count.
        YsbData.WriteEvents(input, YsbData.Generate(100_000, 17, table));
        var output = Path.Combine(cluster.Directory, "autoscaler-counts");

        var refused = await Cli.RunAsync("submit", "ysb", "--reactive", "--min-parallelism", "1", "--cluster", cluster.Nodes[0].Http.ToString(), "--param", $"input={input}");
        Assert.Equal(2, refused.Code);
        Assert.Contains("choose one", refused.Err, StringComparison.Ordinal);
        var outside = await Cli.RunAsync("submit", "ysb", "-p", "3", "--min-parallelism", "1", "--max-parallelism", "2", "--cluster", cluster.Nodes[0].Http.ToString(),
            "--param", $"input={input}", "--param", $"campaigns={campaigns}", "--param", $"output={output}");
        Assert.Equal(2, outside.Code);
        Assert.Contains("-p 3 lies outside --min-parallelism 1 and --max-parallelism 2", outside.Err, StringComparison.Ordinal);

        var submit = await Cli.RunAsync("submit", "ysb", "-p", "2", "--min-parallelism", "1", "--max-parallelism", "2", "--cluster", cluster.Nodes[0].Http.ToString(),
            "--param", $"input={input}", "--param", $"campaigns={campaigns}", "--param", $"output={output}", "--param", "rate=5000");
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        var id = submit.Out;

        var status = await cluster.JobStatusAsync(id, s => s["parallelism"]?.GetValue<int>() == 1 && s["state"]?.GetValue<string>() == "RUNNING", TimeSpan.FromSeconds(60), "RUNNING at parallelism 1");
        log.WriteLine(status.ToJsonString());
        var decision = Assert.Single(status["scaling"]!.AsArray());
        Assert.Equal((2, 1, "done"), (decision!["from"]!.GetValue<int>(), decision["to"]!.GetValue<int>(), decision["outcome"]!.GetValue<string>()));
        Assert.StartsWith("below 50% busy for 3 s", decision["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var detail = await cluster.GetAsync(cluster.Nodes[0], $"api/jobs/{id}");
        Assert.Equal("autoscaler", detail!["scaling"]!["mode"]!.GetValue<string>());
        Assert.Equal((1, 2), (detail["scaling"]!["min_parallelism"]!.GetValue<int>(), detail["scaling"]!["max_parallelism"]!.GetValue<int>()));

        await cluster.JobStatusAsync(id, s => s["state"]?.GetValue<string>() == "FINISHED", TimeSpan.FromSeconds(120), "FINISHED");
        var expected = YsbData.ExpectedCounts(YsbData.Generate(100_000, 17, table), table.ToDictionary(t => t.Ad, t => t.Campaign), 10_000, 5_000,
            watermarkEvery: RuntimeSettings.Default.PollSize);
        ThreeNodeCluster.AssertCommittedOutputExact(output, expected);
    }

}

/// <summary>Two nodes whose autoscaler decides within seconds: down below 50% for 3 s, a 5 s cool-down.</summary>
public sealed class AutoscalerCluster : ThreeNodeCluster
{
    protected override bool WithYsbData => false;
    protected override int InitialNodes => 2;

    protected override string? NodeConfig
    {
        get
        {
            var path = Path.Combine(Directory, "autoscaler.conf");
            if (!File.Exists(path))
                File.WriteAllText(path, "recoflow.cluster.autoscaler { scale-down-utilization = 0.5, target-utilization = 0.6, scale-down-after = 3s, cool-down = 5s }\n");
            return path;
        }
    }
}
