using RecoFlow.Cli;
using RecoFlow.Jobs.Ysb;

namespace RecoFlow.Tests.Jobs;

[Trait("Category", "Slow")]
public sealed class YsbJobTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ysb-test").FullName;

    [Fact]
    public async Task Ysb_over_one_million_out_of_order_events_matches_an_independent_count()
    {
        var table = YsbData.Campaigns();
        var input = Path.Combine(_dir, "ev.jsonl");
        var campaigns = Path.Combine(_dir, "c.csv");
        YsbData.WriteCampaigns(campaigns, table);
        var events = YsbData.Generate(1_000_000, 3, table).ToList();
        YsbData.WriteEvents(input, events);
        File.AppendAllLines(input, ["{not json", "{\"ad_id\":\"ad-1\",\"event_type\":\"view\"}"]);
        var output = Path.Combine(_dir, "out.jsonl");
        var late = Path.Combine(_dir, "late.jsonl");
        var dead = Path.Combine(_dir, "dead.jsonl");

        var stdout = new StringWriter();
        var code = await CliApp.RunAsync(["run", "ysb", "--param", $"input={input}", "--param", $"campaigns={campaigns}", "--param", $"output={output}",
            "--param", $"late-output={late}", "--dead-letters", dead], stdout);
        Assert.True(code == 0, stdout.ToString());

        // The file source emits a watermark after each poll of poll-size records: model the same cadence.
        var expected = YsbData.ExpectedCounts(events, table.ToDictionary(t => t.Ad, t => t.Campaign), 10_000, 5_000,
            watermarkEvery: RecoFlow.Runtime.Execution.RuntimeSettings.Default.PollSize);
        var actual = File.ReadLines(output).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => (e.GetProperty("campaign_id").GetString()!, e.GetProperty("window_start").GetInt64()), e => e.GetProperty("count").GetInt64());
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (key, count) in expected) Assert.Equal(count, actual[key]);
        foreach (var l in File.ReadLines(output).Take(3))
        {
            var e = System.Text.Json.JsonDocument.Parse(l).RootElement;
            Assert.Equal(e.GetProperty("window_start").GetInt64() + 10_000, e.GetProperty("window_end").GetInt64());
            Assert.Equal(0, e.GetProperty("window_start").GetInt64() % 10_000);
        }
        Assert.True(File.ReadLines(late).Any(), "the generator makes some views late");
        var deadLines = File.ReadAllLines(dead);
        Assert.Equal(2, deadLines.Length);
        Assert.Contains("malformed JSON", deadLines[0]);
        Assert.Contains("missing field event_time", deadLines[1]);
    }

    [Theory]
    [InlineData(new[] { "run", "nope" }, "unknown job 'nope'")]
    [InlineData(new[] { "run", "ysb", "--param", "input=x" }, "missing parameter 'campaigns'")]
    [InlineData(new[] { "run", "ysb", "--param", "bogus" }, "malformed --param 'bogus'")]
    [InlineData(new[] { "run", "ysb", "--param", "input=/nonexistent", "--param", "campaigns=/nonexistent", "--param", "output=o", "--param", "window=5x" }, "parameter 'window' must be a duration")]
    [InlineData(new[] { "run", "ysb", "--param", "input=/nonexistent.jsonl", "--param", "campaigns=/nonexistent.csv", "--param", "output=o" }, "file not found")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new[] { "run", "ysb", "--state-backend", "leveldb" }, "unknown --state-backend 'leveldb' (known: heap, rocksdb)")]
    [InlineData(new[] { "submit", "ysb", "--cluster", "http://127.0.0.1:9", "--state-backend", "leveldb" }, "unknown --state-backend 'leveldb' (known: heap, rocksdb)")]
    public async Task Bad_usage_exits_with_2_and_one_line(string[] args, string expected)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int code;
        try { code = await CliApp.RunAsync(args, new StringWriter()); }
        finally { Console.SetError(original); }
        Assert.Equal(2, code);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", lines[0]);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
