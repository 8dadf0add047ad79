using System.Text.Json;
using RecoFlow.Cli;

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

    [Fact]
    public async Task Evaluate_rejects_bad_options_with_exit_code_2()
    {
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", "no-such-file.csv", "--format", "movielens"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "xml"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--dpp-shrink", "0"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--dpp-pool", "all"], new StringWriter()));
        Assert.Equal(2, await CliApp.RunAsync(["evaluate", "--input", MovieLensRatings(), "--format", "movielens", "--dpp-relevance", "calibrated", "--rescore", "ftrl"], new StringWriter()));
    }
}
