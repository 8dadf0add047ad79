using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Three real nodes on loopback: submitting through the CLI (built-in jobs and a job from a user's assembly), refusing
/// bad submissions, surviving the death of the job manager's node.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ClusterFailoverTests(ThreeNodeCluster cluster, ITestOutputHelper log) : IClassFixture<ThreeNodeCluster>
{
    [Fact]
    public async Task Bad_submissions_are_refused_with_the_cause_and_start_nothing()
    {
        var url = cluster.AnyLiveNode.Http.ToString();
        var unknown = await Cli.RunAsync("submit", "no-such-job", "--cluster", url);
        Assert.Equal(2, unknown.Code);
        Assert.Equal("recoflow: unknown job 'no-such-job' (known: ysb, nexmark-q0, nexmark-q1, nexmark-q2, nexmark-q5, nexmark-q7, nexmark-q8, recommendations)", unknown.Err);

        var badParam = await Cli.RunAsync("submit", "ysb", "--cluster", url, "--param", $"input={cluster.Input}", "--param", $"campaigns={cluster.Campaigns}",
            "--param", "output=unused", "--param", "window=0s");
        Assert.Equal(2, badParam.Code);
        Assert.Equal("recoflow: job 'ysb': parameter 'window' must be positive", badParam.Err);

        var missingFile = await Cli.RunAsync("submit", "ysb", "--cluster", url, "--param", "input=/no/such/events.jsonl", "--param", $"campaigns={cluster.Campaigns}", "--param", "output=unused");
        Assert.Equal(2, missingFile.Code);
        Assert.Contains("file not found: /no/such/events.jsonl", missingFile.Err, StringComparison.Ordinal);

        var savepoint = await Cli.RunAsync("submit", "ysb", "--cluster", url, "--from-savepoint", "/no/such/savepoint", "--param", $"input={cluster.Input}",
            "--param", $"campaigns={cluster.Campaigns}", "--param", "output=unused");
        Assert.Equal((2, "recoflow: savepoint not found: /no/such/savepoint"), (savepoint.Code, savepoint.Err));

        var (status, body) = await cluster.PostAsync(cluster.AnyLiveNode, "api/jobs", new { @params = new Dictionary<string, string>() });
        Assert.Equal(400, status);
        Assert.Contains("missing \"job\"", body!["error"]!.GetValue<string>(), StringComparison.Ordinal);

        var noJob = await Cli.RunAsync("status", "ysb-00000000", "--cluster", url, "--json");
        Assert.Equal((2, "recoflow: no job ysb-00000000"), (noJob.Code, noJob.Err));

        // Nothing was journaled or started for the refused submissions.
        var jobs = await Cli.RunAsync("list", "--cluster", url, "--json");
        Assert.Equal(0, jobs.Code);
        Assert.DoesNotContain(JsonNode.Parse(jobs.Out)!.AsArray(), j => j!["name"]!.GetValue<string>() == "ysb" && j["status"]!.GetValue<string>() != "FINISHED");
    }

    [Fact]
    public async Task Killing_the_job_managers_node_resubmits_the_job_on_a_survivor_and_the_output_is_exact()
    {
        var output = Path.Combine(cluster.Directory, "counts");
        var submit = await Cli.RunAsync("submit", "ysb", "--cluster", cluster.Nodes[1].Http.ToString(),
            "--param", $"input={cluster.Input}", "--param", $"campaigns={cluster.Campaigns}", "--param", $"output={output}",
            "--param", "rate=250000"); // paced (10 s for the input), so the kill lands mid-stream
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        var id = submit.Out;
        Assert.Matches("^ysb-[0-9a-f]{8}$", id);

        // RUNNING with a completed checkpoint: from then on, a failover resumes from state rather than from the start.
        JsonNode? status = null;
        await cluster.Eventually(async () =>
        {
            var r = await Cli.RunAsync("status", id, "--cluster", cluster.Nodes[2].Http.ToString(), "--json");
            status = r.Code == 0 ? JsonNode.Parse(r.Out) : null;
            return status?["state"]?.GetValue<string>() == "RUNNING" && status["last_checkpoint"] is not null;
        }, TimeSpan.FromSeconds(60), "job RUNNING with a completed checkpoint");
        Assert.Equal("ysb", status!["job"]!.GetValue<string>());
        var host = status["node"]!.GetValue<string>();
        var victim = cluster.Nodes.Single(n => n.Address == host);
        log.WriteLine($"job {id} runs on {host} (checkpoint {status["last_checkpoint"]}); killing it");

        var killed = Stopwatch.StartNew();
        await victim.KillAsync();
        var survivor = cluster.AnyLiveNode;
        JsonNode? after = null;
        await cluster.Eventually(async () =>
        {
            after = await cluster.GetAsync(survivor, $"api/jobs/{id}");
            return after?["node"]?.GetValue<string>() is { } n && n != host;
        }, TimeSpan.FromSeconds(60), "job resubmitted on a surviving node");
        log.WriteLine($"resubmitted on {after!["node"]} {killed.Elapsed.TotalSeconds:F1} s after the kill");

        await cluster.Eventually(async () =>
        {
            after = await cluster.GetAsync(survivor, $"api/jobs/{id}");
            var s = after?["status"]?.GetValue<string>();
            Assert.NotEqual("FAILED", s);
            return s == "FINISHED";
        }, TimeSpan.FromSeconds(120), "job FINISHED after failover");
        log.WriteLine($"finished {killed.Elapsed.TotalSeconds:F1} s after the kill");
        Assert.True(after!["restarts"]!.GetValue<int>() >= 1, "the resubmission counts as a restart");
        cluster.AssertCommittedOutputExact(output);
    }

    [Fact]
    public async Task A_job_class_from_a_users_assembly_is_uploaded_loaded_and_run_on_every_node()
    {
        var dll = await UserAssemblyJob.BuildAsync(Path.Combine(cluster.Directory, "myjobs"));
        var input = Path.Combine(cluster.Directory, "clicks.csv");
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        var lines = new List<string>();
        for (var i = 0; i < 5_000; i++)
        {
            var user = $"user-{i % 7}";
            var time = 1_700_000_000_000L + i * 37L;
            lines.Add($"{user},{time}");
            var key = $"{user},{time - time % 60_000}";
            expected[key] = expected.GetValueOrDefault(key) + 1;
        }
        await File.WriteAllLinesAsync(input, lines);
        var output = Path.Combine(cluster.Directory, "click-counts");
        var url = cluster.AnyLiveNode.Http.ToString();

        var wrongClass = await Cli.RunAsync("submit", dll, "--job-class", "MyJobs.Nope", "--cluster", url, "--param", $"input={input}", "--param", $"output={output}");
        Assert.Equal((2, "recoflow: assembly MyJobs has no class MyJobs.Nope (its public job classes: MyJobs.ClickCounts)"), (wrongClass.Code, wrongClass.Err));

        var live = cluster.Nodes.Count(n => !n.HasExited);
        var submit = await Cli.RunAsync("submit", dll, "--job-class", UserAssemblyJob.JobClass, "--cluster", url, "--param", $"input={input}", "--param", $"output={output}",
            "--param", $"parallelism={live}");
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        Assert.Matches("^clickcounts-[0-9a-f]{8}$", submit.Out);
        await cluster.Eventually(async () =>
        {
            var r = await Cli.RunAsync("status", submit.Out, "--cluster", cluster.AnyLiveNode.Http.ToString(), "--json");
            var s = r.Code == 0 ? JsonNode.Parse(r.Out)?["state"]?.GetValue<string>() : null;
            Assert.NotEqual("FAILED", s);
            return s == "FINISHED";
        }, TimeSpan.FromSeconds(60), "the assembly job FINISHED");
        // The keyed tasks (count per user -> counts) ran spread over every live node; their records crossed nodes.
        var detail = await cluster.GetAsync(cluster.AnyLiveNode, $"api/jobs/{submit.Out}");
        var keyed = detail!["tasks"]!.AsArray().Where(t => t!["name"]!.GetValue<string>().StartsWith("count per user", StringComparison.Ordinal)).ToList();
        Assert.Equal(live, keyed.Count);
        Assert.Equal(live, keyed.Select(t => t!["node"]!.GetValue<string>()).Distinct().Count());
        var actual = RecoFlow.Connectors.Files.CommittedFiles.ReadLines(output).Select(l => l.Split(',')).ToDictionary(f => $"{f[0]},{f[1]}", f => long.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), actual.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_job_with_a_dependency_of_its_own_is_submitted_as_its_output_folder_and_runs_on_every_node()
    {
        var folder = await UserAssemblyJob.BuildWithDependencyAsync(Path.Combine(cluster.Directory, "packaged"));
        Assert.True(File.Exists(Path.Combine(folder, "MyFormats.dll")), "the dependency is beside the job's assembly");
        var input = Path.Combine(cluster.Directory, "packaged-clicks.csv");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 600).Select(i => $"user-{i % 3},{1_700_000_000_000L + i * 1_000L}"));
        var output = Path.Combine(cluster.Directory, "packaged-counts");
        var live = cluster.Nodes.Count(n => !n.HasExited);

        var submit = await Cli.RunAsync("submit", folder, "--job-class", UserAssemblyJob.JobClass, "--cluster", cluster.AnyLiveNode.Http.ToString(),
            "--param", $"input={input}", "--param", $"output={output}", "--param", $"parallelism={live}");
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        await cluster.Eventually(async () =>
        {
            var r = await Cli.RunAsync("status", submit.Out, "--cluster", cluster.AnyLiveNode.Http.ToString(), "--json");
            var s = r.Code == 0 ? JsonNode.Parse(r.Out)?["state"]?.GetValue<string>() : null;
            Assert.True(s != "FAILED", r.Out);
            return s == "FINISHED";
        }, TimeSpan.FromSeconds(60), "the packaged job FINISHED");
        // Each line written by MyFormats.Lines.Count: user,window start,count per event-time minute.
        var expected = Enumerable.Range(0, 600).Select(i => (User: $"user-{i % 3}", Time: 1_700_000_000_000L + i * 1_000L))
            .GroupBy(c => $"{c.User},{c.Time - c.Time % 60_000}").Select(g => $"{g.Key},{g.Count()}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, RecoFlow.Connectors.Files.CommittedFiles.ReadLines(output).Order(StringComparer.Ordinal));
    }
}
