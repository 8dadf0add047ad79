using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RecoFlow.Jobs.Ysb;
using RecoFlow.TestSupport.Browser;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// The dashboard of a live three-node cluster in headless Chromium (<see cref="HeadlessChromium"/>), and the nodes'
/// structured log files. Every wait is on the page's own polling (Playwright's expectations), bounded by a timeout.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class ClusterDashboardTests(ThreeNodeCluster cluster, ITestOutputHelper log) : IClassFixture<ThreeNodeCluster>
{
    private static readonly LocatorAssertionsToHaveCountOptions CountWithin20s = new() { Timeout = 20_000 };

    private async Task<string> SubmitYsbAsync(string input, string output, params string[] extra)
    {
        var args = new List<string> { "submit", "ysb", "--cluster", cluster.AnyLiveNode.Http.ToString(),
            "--param", $"input={input}", "--param", $"campaigns={cluster.Campaigns}", "--param", $"output={output}" };
        args.AddRange(extra);
        var submit = await Cli.RunAsync([.. args]);
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        return submit.Out;
    }

    /// <summary>Polls the job's detail until <paramref name="condition"/> holds (failing at once on FAILED); returns it.</summary>
    private async Task<JsonNode> WaitForJobAsync(string id, Func<JsonNode, bool> condition, string what, int seconds = 60)
    {
        JsonNode? job = null;
        await cluster.Eventually(async () =>
        {
            job = await cluster.GetAsync(cluster.AnyLiveNode, $"api/jobs/{id}");
            Assert.NotEqual("FAILED", job?["status"]?.GetValue<string>());
            return job is not null && condition(job);
        }, TimeSpan.FromSeconds(seconds), what);
        return job!;
    }

    [Fact]
    public async Task The_dashboard_shows_members_job_graph_throughput_checkpoints_and_a_killed_node_going_unreachable_then_removed()
    {
        // Paced at 100k events/s (25 s for the input): the job runs while the page is checked.
        var id = await SubmitYsbAsync(cluster.Input, Path.Combine(cluster.Directory, "counts-dashboard"), "--param", "rate=100000", "--param", "parallelism=3");
        var job = await WaitForJobAsync(id, j => j["status"]!.GetValue<string>() == "RUNNING" && j["node"] is not null, $"job {id} RUNNING");
        var host = cluster.Nodes.Single(n => n.Address == job["node"]!.GetValue<string>());
        var victim = cluster.Nodes.First(n => n != host);
        log.WriteLine($"job {id} runs on {host.Address}; the page is {host.Http}; {victim.Address} will be killed");

        await using var chromium = await HeadlessChromium.LaunchAsync();
        var errors = new List<string>();
        var page = await chromium.NewPageAsync(errors);
        await page.GotoAsync(host.Http.ToString());

        // All three members, up and reachable, one of them the leader, this node marked as itself.
        var members = page.Locator("#members tbody tr.member");
        await Expect(members).ToHaveCountAsync(3, CountWithin20s);
        foreach (var n in cluster.Nodes)
        {
            var row = Row(page, n);
            await Expect(row).ToHaveAttributeAsync("data-status", "up");
            await Expect(row).Not.ToHaveClassAsync(Unreachable());
        }
        await Expect(page.Locator("#members .leader")).ToHaveCountAsync(1);
        // The keyed tasks (parallelism 3) run one per node: each member's row shows 1 task and its key groups.
        foreach (var n in cluster.Nodes)
            await Expect(Row(page, n).Locator("td.shards")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^1 / (42|43)$"), new() { Timeout = 20_000 });
        await Expect(Row(page, host)).ToContainTextAsync("(self)");

        // The job graph: one box per vertex with its operators' names (in the box's title) and its parallelism.
        await Expect(page.Locator("#job-title")).ToContainTextAsync(id, new() { Timeout = 20_000 });
        var vertices = job["graph"]!["vertices"]!.AsArray();
        await Expect(page.Locator("#graph g.vertex")).ToHaveCountAsync(vertices.Count, CountWithin20s);
        foreach (var v in vertices)
        {
            var box = page.Locator($"#graph g.vertex[data-vertex='{v!["id"]}']");
            await Expect(box).ToContainTextAsync($"p={v["parallelism"]}");
            var title = await box.Locator("title").TextContentAsync() ?? "";
            foreach (var op in v["operators"]!.AsArray())
                Assert.Contains(op!["name"]!.GetValue<string>(), title, StringComparison.Ordinal);
        }
        Assert.Contains("ad events", await page.Locator("#graph").TextContentAsync() ?? "", StringComparison.Ordinal);

        // Live throughput: a non-zero read rate, and the tasks' table.
        await Expect(page.Locator("#throughput-read")).ToHaveTextAsync(NonZeroRate(), new() { Timeout = 30_000 });
        Assert.True(await page.Locator("#tasks tbody tr").CountAsync() >= vertices.Count);

        // A completed checkpoint in the history, as the API lists it.
        var completed = page.Locator("#checkpoints tbody tr", new() { HasText = "COMPLETED" });
        await Expect(completed.First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var checkpointId = long.Parse((await completed.First.Locator("td").First.TextContentAsync())!, System.Globalization.CultureInfo.InvariantCulture);
        var history = (await cluster.GetAsync(host, $"api/jobs/{id}/checkpoints"))!.AsArray();
        Assert.Contains(history, c => c!["id"]!.GetValue<long>() == checkpointId && c["status"]!.GetValue<string>() == "COMPLETED");
        await HeadlessChromium.ScreenshotAsync(page, "cluster-dashboard-running");

        // kill -9 of a node that is not the job manager's: unreachable (highlighted), then downed and removed.
        await victim.KillAsync();
        var victimRow = Row(page, victim);
        await Expect(victimRow).ToHaveClassAsync(Unreachable(), new() { Timeout = 30_000 });
        await Expect(victimRow).ToContainTextAsync("unreachable");
        await HeadlessChromium.ScreenshotAsync(page, "cluster-dashboard-unreachable");
        await Expect(victimRow).ToHaveAttributeAsync("data-status", "removed", new() { Timeout = 60_000 });
        await Expect(victimRow).ToHaveClassAsync(Removed());
        await Expect(page.Locator("#members tbody tr.member:not(.removed)")).ToHaveCountAsync(2);
        await HeadlessChromium.ScreenshotAsync(page, "cluster-dashboard-removed");

        var overview = (await cluster.GetAsync(host, "api/overview"))!["cluster"]!;
        Assert.DoesNotContain(overview["members"]!.AsArray(), m => m!["address"]!.GetValue<string>() == victim.Address);
        Assert.Contains(overview["removed"]!.AsArray(), m => m!["address"]!.GetValue<string>() == victim.Address && m["previous_status"]!.GetValue<string>() == "down");
        lock (errors) Assert.Empty(errors);
    }

    [Fact]
    public async Task A_node_writes_its_jobs_log_lines_as_json_with_job_and_checkpoint_ids_to_its_rolling_file()
    {
        var input = Path.Combine(cluster.Directory, "small-events.jsonl");
        YsbData.WriteEvents(input, YsbData.Generate(20_000, 5, YsbData.Campaigns()));
        var id = await SubmitYsbAsync(input, Path.Combine(cluster.Directory, "counts-logged"));
        var job = await WaitForJobAsync(id, j => j["status"]!.GetValue<string>() == "FINISHED", $"job {id} FINISHED");
        var host = cluster.Nodes.Single(n => n.Address == job["node"]!.GetValue<string>());

        // Nodes share the state directory; each writes logs/node-HOST-PORT-DATE.json.
        var files = Directory.GetFiles(Path.Combine(cluster.StateDirectory, "logs"), $"node-127.0.0.1-{host.Port}-*.json");
        Assert.True(files.Length > 0, $"no log file of {host.Address} in {cluster.StateDirectory}/logs");
        var events = files.SelectMany(ReadShared).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.All(events, e => Assert.Equal(host.Address, e["Node"]?.GetValue<string>()));
        var checkpoint = events.FirstOrDefault(e => e["JobId"]?.GetValue<string>() == id && e["CheckpointId"] is not null);
        Assert.True(checkpoint is not null, $"no event with JobId {id} and a CheckpointId among {events.Count} in {string.Join(", ", files)}");
        Assert.Equal("job {JobId}: checkpoint {CheckpointId} completed in {DurationMs} ms ({SizeBytes} bytes)", checkpoint["@mt"]!.GetValue<string>());
        Assert.True(checkpoint["CheckpointId"]!.GetValue<long>() >= 1);
        Assert.Equal("RecoFlow.Runtime.Execution.JobMasterActor", checkpoint["SourceContext"]?.GetValue<string>());

        // Akka's own logging goes to the same file (the cluster's membership lines).
        Assert.Contains(events, e => e["SourceContext"]?.GetValue<string>()?.StartsWith("Akka.", StringComparison.Ordinal) == true
            || e["LogSource"]?.GetValue<string>()?.StartsWith("Cluster", StringComparison.Ordinal) == true);
    }

    private static ILocator Row(IPage page, NodeProcess node) => page.Locator($"#members tbody tr[data-address='{node.Address}']");

    /// <summary>The lines of a file another process is still writing.</summary>
    private static List<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) lines.Add(line);
        return lines;
    }

    [GeneratedRegex(@"\bunreachable\b")]
    private static partial Regex Unreachable();

    [GeneratedRegex(@"\bremoved\b")]
    private static partial Regex Removed();

    /// <summary>A rate as the dashboard prints it (12.3, 250, 1.5k, 1.20M), other than zero.</summary>
    [GeneratedRegex(@"^(?:[1-9][0-9.]*|0\.[0-9]*[1-9][0-9]*)[kM]?$")]
    private static partial Regex NonZeroRate();
}
