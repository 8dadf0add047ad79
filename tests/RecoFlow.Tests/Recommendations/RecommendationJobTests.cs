using System.Text.Json;
using RecoFlow.Api;
using RecoFlow.Cli;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Recommendations;

public sealed class RecommendationJobTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("reco-job-test").FullName;

    [Fact]
    public async Task The_job_runs_from_a_json_lines_file_writes_a_list_per_valid_event_and_rejects_bad_ones()
    {
        var input = Path.Combine(_dir, "events.jsonl");
        var lines = new List<string>();
        for (int i = 0; i < 200; i++)
            lines.Add($$$"""{"event_id":"e{{{i}}}","user_id":"u{{{i % 7}}}","item_id":"i{{{(i * 3) % 11}}}","type":"{{{(i % 3 == 0 ? "purchase" : "click")}}}","ts":{{{1_700_000_000_000L + i * 5_000}}},"consent":{"personalization":true}}""");
        lines.Add("{broken");
        lines.Add("""{"event_id":"nc","user_id":"u1","item_id":"i1","type":"click","ts":1700000000000,"consent":{"personalization":false}}""");
        File.WriteAllLines(input, lines);
        var output = Path.Combine(_dir, "recs.jsonl");
        var rejected = Path.Combine(_dir, "rejected.jsonl");

        var stdout = new StringWriter();
        int code = await CliApp.RunAsync(["run", "recommendations", "--param", $"input={input}", "--param", $"output={output}",
            "--param", $"rejected-output={rejected}", "--param", "publish-interval=30s"], stdout);
        Assert.True(code == 0, stdout.ToString());
        var recs = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(200, recs.Count);
        Assert.All(recs, r => Assert.Equal("interaction", r.GetProperty("trigger").GetString()));
        Assert.DoesNotContain(recs, r => r.GetProperty("user_id").GetString()!.StartsWith('u'));
        // Which model version a list used depends on when the broadcast versions reach the scoring task (a replay this
        // small outruns them); the deterministic behaviour is tested with the operator chain in RecommendationBehaviourTests.
        Assert.All(recs, r => Assert.True(r.GetProperty("model_version").GetInt64() >= 0));
        Assert.Single(File.ReadAllLines(rejected));
    }

    private JobParameters MovieLensParams(params (string Key, string Value)[] extra)
    {
        var input = Path.Combine(_dir, "ratings.csv");
        File.WriteAllLines(input, ["userId,movieId,rating,timestamp", "1,10,4.0,1000"]);
        var values = new Dictionary<string, string> { ["input"] = input, ["format"] = "movielens", ["output"] = Path.Combine(_dir, "out") };
        foreach (var (k, v) in extra) values[k] = v;
        return new JobParameters(values, new RecommendationJob().Parameters);
    }

    [Fact]
    public void At_parallelism_3_the_keyed_operators_run_3_tasks_while_the_file_source_its_privacy_step_and_the_file_sink_stay_at_1()
    {
        var plan = ExecutionPlan.Create(new RecommendationJob().Build(MovieLensParams(("parallelism", "3"), ("rate", "500"))).Build());

        Assert.Equal(["ratings -> consent, minimise, pseudonymise, context", "user features", "item model -> model version", "scoring", "recommendations file"],
            plan.Vertices.Select(v => v.Name));
        Assert.Equal([1, 3, 3, 3, 1], plan.Vertices.Select(v => v.Parallelism));
        Assert.Contains("at 500 records/s", plan.Vertices[0].Head.Details, StringComparison.Ordinal);
        // The default: one task each, and no pacing.
        var single = ExecutionPlan.Create(new RecommendationJob().Build(MovieLensParams()).Build());
        Assert.All(single.Vertices, v => Assert.Equal(1, v.Parallelism));
        Assert.DoesNotContain("records/s", single.Vertices[0].Head.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void The_events_source_keeps_validation_and_a_followed_control_file_in_its_single_task()
    {
        var input = Path.Combine(_dir, "events.jsonl");
        File.WriteAllText(input, "");
        var values = new Dictionary<string, string>
        {
            ["input"] = input, ["output"] = Path.Combine(_dir, "out"), ["parallelism"] = "2",
            ["control"] = Path.Combine(_dir, "control.jsonl"), ["control-follow"] = "true",
        };
        var plan = ExecutionPlan.Create(new RecommendationJob().Build(new JobParameters(values, new RecommendationJob().Parameters)).Build());

        var ingest = plan.Vertices.Single(v => v.Nodes.Any(n => n.Name == "validate"));
        Assert.Equal(1, ingest.Parallelism);
        Assert.Contains(ingest.Nodes, n => n.Name == "consent, minimise, pseudonymise, context");
        Assert.Equal(1, plan.Vertices.Single(v => v.Nodes.Any(n => n.Name == "parse command")).Parallelism);
        Assert.Equal(2, plan.Vertices.Single(v => v.Name == "scoring").Parallelism);
    }

    [Theory]
    [InlineData("parallelism", "0", "parameter 'parallelism' must be at least 1")]
    [InlineData("parallelism", "-2", "parameter 'parallelism' must be at least 1")]
    [InlineData("parallelism", "two", "parameter 'parallelism' must be an integer, got 'two'")]
    [InlineData("rate", "-1", "parameter 'rate' must not be negative")]
    [InlineData("dpp-objective", "entropy", "parameter 'dpp-objective' must be logdet or pairwise")]
    public void Parallelism_and_rate_are_validated_by_name(string name, string value, string message)
    {
        var e = Assert.Throws<JobParameterException>(() => new RecommendationJob().Build(MovieLensParams((name, value))));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task Recoflow_jobs_lists_parallelism_and_rate_for_the_recommendation_job()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["jobs"], stdout));
        var lines = stdout.ToString().Split('\n');
        var section = lines.SkipWhile(l => !l.StartsWith("recommendations:", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.StartsWith(' ')).ToList();
        Assert.Contains(section, l => l.TrimStart().StartsWith("parallelism ", StringComparison.Ordinal) && l.Contains("(default 1)", StringComparison.Ordinal));
        Assert.Contains(section, l => l.TrimStart().StartsWith("rate ", StringComparison.Ordinal) && l.Contains("(default 0)", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
