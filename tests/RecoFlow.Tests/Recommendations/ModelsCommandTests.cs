using System.Text.Json;
using RecoFlow.Cli;
using RecoFlow.Runtime;

namespace RecoFlow.Tests.Recommendations;

/// <summary><c>recoflow models list|rollback</c> against the recommendation job's versions output and control file.</summary>
public sealed class ModelsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("reco-models-test").FullName;

    private string Events(int count)
    {
        var input = Path.Combine(_dir, "events.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, count).Select(i =>
            $$$"""{"event_id":"e{{{i}}}","user_id":"u{{{i % 7}}}","item_id":"i{{{(i * 3) % 11}}}","type":"click","ts":{{{1_700_000_000_000L + i * 5_000}}},"consent":{"personalization":true}}"""));
        return input;
    }

    [Fact]
    public async Task List_shows_the_versions_a_job_run_reported_with_kind_status_and_metrics()
    {
        var input = Events(300);
        var versions = Path.Combine(_dir, "versions.jsonl");
        var stdout = new StringWriter();
        // 300 events 5 s apart: 25 minutes of event time, an online version a minute, a refit every 10 minutes.
        int code = await CliApp.RunAsync(["run", "recommendations", "--param", $"input={input}", "--param", $"output={Path.Combine(_dir, "recs.jsonl")}",
            "--param", $"versions-output={versions}", "--param", "retrain-interval=10m", "--param", "versions-report-lists=10"], stdout);
        Assert.True(code == 0, stdout.ToString());
        Assert.All(File.ReadAllLines(versions), l => Assert.True(JsonDocument.Parse(l).RootElement.TryGetProperty("hit_rate", out _), l));

        var listed = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["models", "list", "--versions", versions, "--json"], listed));
        var rows = listed.ToString().Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        // Every published version reached the scoring task (queued at least): 24 full minutes, the end of input, two refits.
        Assert.Equal(Enumerable.Range(1, rows.Count).Select(v => (long)v), rows.Select(r => r.GetProperty("version").GetInt64()));
        Assert.Equal(2, rows.Count(r => r.GetProperty("kind").GetString() == "refit"));
        Assert.True(rows.Count >= 26, listed.ToString());
        Assert.All(rows, r => Assert.Contains(r.GetProperty("status").GetString(), new[] { "queued", "active", "superseded" }));

        var table = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["models", "list", "--versions", versions], table));
        Assert.Contains("refit", table.ToString());
        Assert.Contains("hit rate", table.ToString());
    }

    [Fact]
    public async Task Rollback_appends_the_command_and_the_running_job_picks_it_up()
    {
        const int count = 150;
        var input = Events(count);
        var versions = Path.Combine(_dir, "versions.jsonl");
        var control = Path.Combine(_dir, "control.jsonl");
        var graph = JobRunner.BuildGraph(JobRunner.FindJob("recommendations"), new Dictionary<string, string>
        {
            ["input"] = input, ["output"] = Path.Combine(_dir, "recs.jsonl"), ["versions-output"] = versions,
            ["control"] = control, ["control-follow"] = "true", ["publish-interval"] = "30s",
        });
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(graph);
        long Written() => client.Metrics.Tasks.Sum(t => t.RecordsWritten);

        // The interactions end but the followed control file keeps the job running: wait until the output stops growing.
        await WaitUntil(() => Written() >= count, "every event scored");
        long settled = await Settled(Written);
        Assert.False(client.Completion.IsCompleted);

        var stdout = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["models", "rollback", "0", "--control", control], stdout));
        Assert.Equal("""{"rollback_to":0}""", File.ReadAllLines(control).Single());
        await WaitUntil(() => Written() > settled, "version records after the rollback");
        await Settled(Written);
        client.Cancel();
        await client.Completion;

        var records = File.ReadAllLines(versions).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var afterRollback = records.Where(r => r.GetProperty("reason").GetString() == "rollback").ToList();
        Assert.NotEmpty(afterRollback);
        Assert.All(afterRollback, r => Assert.Contains(r.GetProperty("status").GetString(), new[] { "rolled-back", "queued" }));
        var listed = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["models", "list", "--versions", versions, "--json"], listed));
        Assert.DoesNotContain("\"active\"", listed.ToString());
    }

    [Fact]
    public async Task Models_commands_reject_missing_targets_with_exit_code_2()
    {
        Assert.Equal(2, await CliApp.RunAsync(["models", "list"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["models", "list", "--versions", Path.Combine(_dir, "none.jsonl")], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["models", "rollback", "3"], new StringWriter()));
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static async Task<long> Settled(Func<long> value)
    {
        long last = value();
        for (int stable = 0; stable < 10; stable++)
        {
            await Task.Delay(100);
            long now = value();
            if (now != last) stable = -1;
            last = now;
        }
        return last;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
