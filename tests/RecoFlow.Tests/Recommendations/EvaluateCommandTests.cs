using System.Text.Json;
using RecoFlow.Cli;
using RecoFlow.Recommendations.Cli;

namespace RecoFlow.Tests.Recommendations;

[Trait("Category", "Slow")]
public sealed class EvaluateCommandTests
{
    private static string MovieLensRatings() => Path.Combine(RecoFlow.Testing.RepositoryData.MovieLensDir(), "ratings.csv");

    [Fact]
    public async Task Evaluate_json_has_every_key_and_the_job_beats_the_popularity_baseline_on_a_movielens_sample()
    {
        var stdout = new StringWriter();
        int code = await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--events", "15000", "--k", "10", "--json"], stdout);
        Assert.True(code == 0, stdout.ToString());
        var lines = stdout.ToString().Trim().Split('\n');
        Assert.Single(lines);
        using var doc = JsonDocument.Parse(lines[0]);
        string[] keys = ["recall_at_k", "ndcg_at_k", "mrr", "ild", "coverage", "gini", "novelty", "latency_p50_ms", "latency_p99_ms", "test_events"];
        var root = doc.RootElement;
        foreach (var k in keys) Assert.True(root.TryGetProperty(k, out _), $"missing {k}");
        var baselines = root.GetProperty("baselines");
        Assert.Equal(["covisitation", "popularity", "random"], baselines.EnumerateObject().Select(p => p.Name).Order());
        foreach (var b in new[] { "covisitation", "popularity", "random" })
            foreach (var k in keys) Assert.True(baselines.GetProperty(b).TryGetProperty(k, out _), $"missing {b}.{k}");
        Assert.True(root.GetProperty("test_events").GetInt64() > 1000);
        Assert.Equal(root.GetProperty("test_events").GetInt64(), baselines.GetProperty("popularity").GetProperty("test_events").GetInt64());
        Assert.Equal(root.GetProperty("test_events").GetInt64(), baselines.GetProperty("covisitation").GetProperty("test_events").GetInt64());
        Assert.True(root.GetProperty("recall_at_k").GetDouble() > baselines.GetProperty("popularity").GetProperty("recall_at_k").GetDouble());
    }

    private static async Task<JsonElement> EvaluateAsync(params string[] args)
    {
        var stdout = new StringWriter();
        int code = await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--json", "--test-from", "0.5",
            "--dpp-relevance", "calibrated", "--dpp-pool", "genre", "--dpp-shrink", "0.25", .. args], stdout);
        Assert.True(code == 0, stdout.ToString());
        return JsonDocument.Parse(stdout.ToString()).RootElement.Clone();
    }

    [Fact]
    public async Task The_diversity_loop_holds_the_ild_target_at_no_less_recall_than_the_fixed_theta_it_settles_on()
    {
        // The second half of the log: the loop has settled (it decides once per 400 lists) when the audit starts.
        var loop = await EvaluateAsync("--ild-target", "0.8");
        Assert.InRange(loop.GetProperty("ild").GetDouble(), 0.78, 0.82);
        var diversity = loop.GetProperty("diversity_loop");
        Assert.Equal(0.8, diversity.GetProperty("target").GetDouble());
        Assert.True(diversity.GetProperty("versions").GetInt64() > 5, diversity.ToString());
        double theta = diversity.GetProperty("theta").GetDouble();
        Assert.InRange(theta, 0.01, 0.99);

        var fixedTheta = await EvaluateAsync("--dpp-theta", theta.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(fixedTheta.TryGetProperty("diversity_loop", out _));
        Assert.InRange(fixedTheta.GetProperty("ild").GetDouble(), 0.76, 0.84);
        // 0.003: the loop serves its first lists at other θ while it settles; the margin is recall@10's spread between
        // runs of one setting in arrival order.
        Assert.True(loop.GetProperty("recall_at_k").GetDouble() >= fixedTheta.GetProperty("recall_at_k").GetDouble() - 0.003,
            $"loop {loop.GetProperty("recall_at_k")}, fixed θ {theta}: {fixedTheta.GetProperty("recall_at_k")}");
    }

    /// <summary>
    /// The second public log, a purchase log the job was not developed on (event-time order: one figure per run). A
    /// returning customer must be remembered: with a 30-day <c>user-ttl</c> the job fell below popularity here.
    /// </summary>
    [Fact]
    public async Task On_the_online_retail_sample_the_job_beats_covisitation_and_popularity_and_remembers_returning_customers()
    {
        async Task<(double Job, double Covisitation, double Popularity)> Evaluate(params string[] extra)
        {
            var stdout = new StringWriter();
            string[] args = ["evaluate", "--input", RecoFlow.Testing.RepositoryData.OnlineRetailSample(), "--format", "online-retail", "--json", "--order", "event-time", .. extra];
            Assert.Equal(0, await CliApp.RunAsync(args, stdout));
            var root = JsonDocument.Parse(stdout.ToString()).RootElement;
            var baselines = root.GetProperty("baselines");
            return (root.GetProperty("recall_at_k").GetDouble(), baselines.GetProperty("covisitation").GetProperty("recall_at_k").GetDouble(),
                baselines.GetProperty("popularity").GetProperty("recall_at_k").GetDouble());
        }

        var (job, covisitation, popularity) = await Evaluate();
        Assert.True(job >= 1.1 * covisitation, $"job {job:F4} against covisitation {covisitation:F4}");
        Assert.True(job >= popularity, $"job {job:F4} against popularity {popularity:F4}");
        var (forgetful, _, _) = await Evaluate("--user-ttl", "30d");
        Assert.True(forgetful < job, $"30-day user-ttl {forgetful:F4} against the default's {job:F4}");
    }

    /// <summary>
    /// The shape of a shop's purchase log, where items bought in one order predict each other strongly and co-visitation
    /// beats popularity several times over (the shape on which the hand-tuned blend once drowned co-visitation): a
    /// synthetic log from <c>recoflow generate baskets</c>, with strong and with moderate bundles.
    /// </summary>
    [Theory]
    [InlineData("0.85")]
    [InlineData("0.6")]
    public async Task On_a_synthetic_shop_log_with_bundles_the_job_beats_covisitation_and_twice_popularity(string bundleShare)
    {
        var dir = Directory.CreateTempSubdirectory("recoflow-baskets");
        try
        {
            string log = Path.Combine(dir.FullName, "baskets.jsonl");
            Assert.Equal(0, await CliApp.RunAsync(["generate", "baskets", "--output", log, "--bundle-share", bundleShare], new StringWriter()));
            var stdout = new StringWriter();
            Assert.Equal(0, await CliApp.RunAsync(["evaluate", "--input", log, "--format", "events", "--json", "--order", "event-time"], stdout));
            var root = JsonDocument.Parse(stdout.ToString()).RootElement;
            double job = root.GetProperty("recall_at_k").GetDouble();
            var baselines = root.GetProperty("baselines");
            double covisitation = baselines.GetProperty("covisitation").GetProperty("recall_at_k").GetDouble();
            double popularity = baselines.GetProperty("popularity").GetProperty("recall_at_k").GetDouble();
            Assert.True(covisitation > 2.5 * popularity, $"the log's shape: covisitation {covisitation:F4}, popularity {popularity:F4}");
            Assert.True(job >= 1.1 * covisitation, $"job {job:F4} against covisitation {covisitation:F4}");
            Assert.True(job >= 2 * popularity, $"job {job:F4} against popularity {popularity:F4}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Evaluate_refuses_an_input_of_another_format_and_names_the_problem()
    {
        // MovieLens ratings read as JSON Lines events: no line is an event.
        var refused = await Assert.ThrowsAsync<UsageException>(() => EvaluateCommand.RunAsync(new EvaluateCommand.EvaluationOptions(MovieLensRatings(), "events")));
        Assert.Contains("no event in", refused.Message);
        Assert.Contains("line 1: MalformedJson", refused.Message);

        // Events without personalisation consent only: the job would learn nothing personal.
        string noConsent = Path.Combine(Directory.CreateTempSubdirectory("recoflow-evaluate-").FullName, "events.jsonl");
        await File.WriteAllLinesAsync(noConsent, [Purchase("a", "u", "i", 1_700_000_000_000L, consent: false)]);
        refused = await Assert.ThrowsAsync<UsageException>(() => EvaluateCommand.RunAsync(new EvaluateCommand.EvaluationOptions(noConsent, "events")));
        Assert.Contains("personalisation consent", refused.Message);
        Directory.Delete(Path.GetDirectoryName(noConsent)!, recursive: true);

        // The same file read as invoice lines: the missing column is named.
        refused = await Assert.ThrowsAsync<UsageException>(() => EvaluateCommand.RunAsync(new EvaluateCommand.EvaluationOptions(MovieLensRatings(), "online-retail")));
        Assert.Contains("no column", refused.Message);
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "events"], new StringWriter()));
    }

    [Fact]
    public async Task Evaluate_skips_and_counts_lines_that_are_not_events_and_evaluates_the_rest()
    {
        string log = Path.Combine(Directory.CreateTempSubdirectory("recoflow-evaluate-").FullName, "events.jsonl");
        try
        {
            var lines = new List<string>();
            for (int u = 0; u < 30; u++)
                for (int i = 0; i < 4; i++)
                    lines.Add(Purchase($"e{u}-{i}", $"u{u}", $"i{(u + i) % 12}", 1_700_000_000_000L + (u * 4 + i) * 60_000L, consent: !(u == 0 && i == 3)));
            lines.Insert(7, """{"event_id":"bad","user_id":"u1","type":"purchase","ts":1700000000000}""");
            await File.WriteAllLinesAsync(log, lines);
            var stdout = new StringWriter();
            Assert.Equal(0, await CliApp.RunAsync(["evaluate", "--input", log, "--format", "events", "--json"], stdout));
            var root = JsonDocument.Parse(stdout.ToString()).RootElement;
            Assert.Equal(1, root.GetProperty("skipped_lines").GetInt32());
            Assert.Equal(1, root.GetProperty("events_without_consent").GetInt32());
            Assert.Equal("line 8: MissingField at 'item_id': required", root.GetProperty("first_skipped").GetString());
            Assert.Equal(120, root.GetProperty("test_events").GetInt64() + 30); // each user's first purchase is not a test event
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(log)!, recursive: true);
        }
    }

    [Fact]
    public async Task Evaluate_scores_every_event_when_the_logs_event_ids_repeat()
    {
        // Baskets of two items: every user buys the pair (a, a+1) and later (a+2, a+3), so the second line of a basket
        // and the next basket are predictable. The same log twice: unique event ids, and one id per basket (an invoice
        // number on each of its lines). The replay must score both alike.
        string dir = Directory.CreateTempSubdirectory("recoflow-evaluate-").FullName;
        try
        {
            List<string> unique = [], perBasket = [];
            long ts = 1_700_000_000_000L;
            for (int u = 0; u < 60; u++)
                for (int basket = 0; basket < 2; basket++, ts += 60_000)
                    for (int line = 0; line < 2; line++)
                    {
                        string item = $"i{(u % 6) * 4 + basket * 2 + line}";
                        unique.Add(Purchase($"e{unique.Count}", $"u{u}", item, ts));
                        perBasket.Add(Purchase($"inv-{u}-{basket}", $"u{u}", item, ts));
                    }
            var reports = new List<JsonElement>();
            foreach (var (name, lines) in new[] { ("unique.jsonl", unique), ("per-basket.jsonl", perBasket) })
            {
                string log = Path.Combine(dir, name);
                await File.WriteAllLinesAsync(log, lines);
                var stdout = new StringWriter();
                Assert.Equal(0, await CliApp.RunAsync(["evaluate", "--input", log, "--format", "events", "--json"], stdout));
                reports.Add(JsonDocument.Parse(stdout.ToString()).RootElement.Clone());
            }
            Assert.Equal(180, reports[0].GetProperty("test_events").GetInt64());
            Assert.True(reports[0].GetProperty("recall_at_k").GetDouble() > 0.5, reports[0].ToString());
            Assert.Equal(reports[0].GetProperty("recall_at_k").GetDouble(), reports[1].GetProperty("recall_at_k").GetDouble());
            Assert.Equal(reports[0].GetProperty("mrr").GetDouble(), reports[1].GetProperty("mrr").GetDouble());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A purchase event as docs/events.md describes it, with or without personalisation consent.</summary>
    private static string Purchase(string id, string user, string item, long ts, bool consent = true) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["event_id"] = id, ["user_id"] = user, ["item_id"] = item, ["type"] = "purchase", ["ts"] = ts,
            ["consent"] = new Dictionary<string, bool> { ["personalization"] = consent },
        });

    [Fact]
    public async Task Evaluate_rejects_bad_options_with_exit_code_2()
    {
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", "no-such-file.csv", "--format", "movielens"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "xml"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--dpp-shrink", "0"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--dpp-pool", "all"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--dpp-objective", "entropy"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--ild-target", "1.5"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--ild-target", "0.8", "--ild-window", "3"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--dpp-relevance", "calibrated", "--rescore", "ftrl"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--order", "random"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--user-ttl", "soon"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--param", "k=5"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--param", "no-such-parameter=1"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--param", "popularity-half-life"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--param", "popularity-half-life=0"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["generate", "baskets", "--output", Path.Combine(Path.GetTempPath(), "never-written.jsonl"), "--bundle-share", "2"], new StringWriter()));
    }

    [Fact]
    public async Task In_event_time_order_every_run_serves_the_same_lists()
    {
        async Task<JsonElement> Run()
        {
            var stdout = new StringWriter();
            int code = await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--events", "20000", "--json", "--order", "event-time",
                "--dpp-relevance", "calibrated", "--dpp-pool", "genre", "--dpp-objective", "pairwise", "--dpp-kernel", "jaccard", "--dpp-theta", "0.75"], stdout);
            Assert.True(code == 0, stdout.ToString());
            return JsonDocument.Parse(stdout.ToString()).RootElement.Clone();
        }

        var first = await Run();
        var second = await Run();
        Assert.True(first.GetProperty("test_events").GetInt64() > 1000);
        // Everything but the latencies (wall-clock) is a function of the lists served.
        foreach (var key in new[] { "recall_at_k", "ndcg_at_k", "mrr", "ild", "coverage", "gini", "novelty" })
            Assert.Equal(first.GetProperty(key).GetDouble(), second.GetProperty(key).GetDouble());
        Assert.True(first.GetProperty("recall_at_k").GetDouble() > first.GetProperty("baselines").GetProperty("popularity").GetProperty("recall_at_k").GetDouble());
    }
}
