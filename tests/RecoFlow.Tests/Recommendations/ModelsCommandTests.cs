using System.Text.Json;
using RecoFlow.Cli;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;
using RecoFlow.Jobs.Recommendations;
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
    public async Task Kafka_variants_list_the_versions_topic_and_produce_commands_to_the_control_topic()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Topics = [("versions", 2), ("control", 1)] });
        // Version records as two scoring subtasks report them; the later record of a (subtask, version) supersedes the earlier.
        var records = Path.Combine(_dir, "records.jsonl");
        static string Record(long version, string kind, string status, long lists, long hits, int subtask) =>
            $$$"""{"version":{{{version}}},"kind":"{{{kind}}}","status":"{{{status}}}","cut_ms":1700000060000,"activated_ms":1700000061000,"items":5,"lists":{{{lists}}},"hits":{{{hits}}},"hit_rate":0,"reason":"metrics","subtask":{{{subtask}}},"at_ms":1700000070000}""";
        File.WriteAllLines(records, [Record(1, "online", "active", 10, 2, 0), Record(1, "online", "active", 20, 4, 0), Record(1, "online", "active", 30, 3, 1),
            Record(2, "refit", "active", 5, 5, 0), Record(1, "online", "superseded", 20, 4, 0)]);
        Assert.Equal(5, await KafkaTools.ProduceFileAsync(broker.BootstrapServers, "versions", records, null, "subtask", TextWriter.Null, CancellationToken.None));

        var listed = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["models", "list", "--bootstrap", broker.BootstrapServers, "--topic", "versions", "--json"], listed));
        var rows = listed.ToString().Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1L, 2L], rows.Select(r => r.GetProperty("version").GetInt64()));
        Assert.Equal(50, rows[0].GetProperty("lists").GetInt64());
        Assert.Equal(7, rows[0].GetProperty("hits").GetInt64());
        Assert.Equal("refit", rows[1].GetProperty("kind").GetString());

        Assert.Equal(0, await CliApp.RunAsync(["models", "rollback", "1", "--bootstrap", broker.BootstrapServers, "--topic", "control"], new StringWriter()));
        Assert.Equal(0, await CliApp.RunAsync(["models", "resume", "--bootstrap", broker.BootstrapServers, "--topic", "control"], new StringWriter()));
        var commands = await KafkaTools.ReadToEndAsync(broker.BootstrapServers, "control", CancellationToken.None);
        Assert.Equal(["""{"rollback_to":1}""", """{"resume":true}"""], commands);
        Assert.Equal(1, RecommendationJob.ParseCommand(commands[0]).RollbackTo);
        Assert.True(RecommendationJob.ParseCommand(commands[1]).Resume);
    }

    [Fact]
    public void Followed_control_file_emits_appended_lines_waits_for_a_partial_line_and_resumes_at_its_position()
    {
        var control = Path.Combine(_dir, "followed.jsonl");
        var source = new RecoFlow.Connectors.Files.TailingLineFileSource<string>(control, s => s);
        var dead = new DeadLetters();
        var context = new RecoFlow.Api.Connectors.SourceContext(0, 1, new Dictionary<string, string>(), dead);
        var splits = source.CreateSplits(context);
        using var reader = source.CreateReader(context);
        reader.AddSplits(splits);
        var output = new Collected();
        Assert.Equal(RecoFlow.Api.Connectors.PollStatus.NothingAvailable, reader.Poll(output, 10)); // no file yet

        File.WriteAllText(control, "{\"rollback_to\":3}\n{\"res");
        Assert.Equal(RecoFlow.Api.Connectors.PollStatus.MoreAvailable, reader.Poll(output, 10));
        Assert.Equal(["{\"rollback_to\":3}"], output.Values);
        Assert.Equal(RecoFlow.Api.Connectors.PollStatus.NothingAvailable, reader.Poll(output, 10));
        File.AppendAllText(control, "ume\":true}\n");
        reader.Poll(output, 10);
        Assert.Equal(["{\"rollback_to\":3}", "{\"resume\":true}"], output.Values);

        // A reader restored from the snapshot position reads only what was appended later.
        var position = reader.SnapshotSplits();
        File.AppendAllText(control, "{\"rollback_to\":1}\n");
        using var restored = source.CreateReader(context);
        restored.AddSplits(position);
        var after = new Collected();
        restored.Poll(after, 10);
        Assert.Equal(["{\"rollback_to\":1}"], after.Values);
        Assert.Empty(dead.Reasons);
    }

    private sealed class DeadLetters : RecoFlow.Api.Operators.IDeadLetterOutput
    {
        public List<string> Reasons { get; } = [];
        public void Report(string reason, object? record, long timestamp) => Reasons.Add(reason);
    }

    private sealed class Collected : RecoFlow.Api.Connectors.ISourceOutput<string>
    {
        public List<string> Values { get; } = [];
        public void Collect(string splitId, string value, long timestamp) => Values.Add(value);
        public void SplitFinished(string splitId) { }
    }

    [Fact]
    public async Task Diversity_rollback_and_resume_append_commands_the_job_reads()
    {
        var control = Path.Combine(_dir, "diversity-control.jsonl");
        Assert.Equal(0, await CliApp.RunAsync(["models", "diversity-rollback", "4", "--control", control], new StringWriter()));
        Assert.Equal(0, await CliApp.RunAsync(["models", "diversity-resume", "--control", control], new StringWriter()));
        var lines = File.ReadAllLines(control);
        Assert.Equal(["""{"diversity_rollback_to":4}""", """{"diversity_resume":true}"""], lines);
        Assert.Equal(4, RecommendationJob.ParseCommand(lines[0]).DiversityRollbackTo);
        Assert.True(RecommendationJob.ParseCommand(lines[1]).DiversityResume);
        Assert.Equal(2, await CliApp.RunAsync(["models", "diversity-rollback", "-1", "--control", control], new StringWriter()));
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
