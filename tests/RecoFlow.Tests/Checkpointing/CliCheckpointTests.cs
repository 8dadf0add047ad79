using System.Text.Json;
using RecoFlow.Cli;
using RecoFlow.Connectors.Files;
using RecoFlow.Jobs.Ysb;

namespace RecoFlow.Tests.Checkpointing;

public sealed class CliCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cli-ckpt").FullName;

    [Fact]
    public async Task Run_with_a_state_dir_commits_part_files_lists_its_checkpoints_and_a_second_run_writes_nothing()
    {
        var table = YsbData.Campaigns();
        var input = Path.Combine(_dir, "ev.jsonl");
        var campaigns = Path.Combine(_dir, "c.csv");
        YsbData.WriteCampaigns(campaigns, table);
        YsbData.WriteEvents(input, YsbData.Generate(200_000, 5, table));
        var output = Path.Combine(_dir, "out");
        var state = Path.Combine(_dir, "state");
        string[] run = ["run", "ysb", "--param", $"input={input}", "--param", $"campaigns={campaigns}", "--param", $"output={output}",
            "--param", "rate=100000", "--state-dir", state, "--checkpoint-interval", "300ms"];

        var first = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(run, first));
        Assert.Contains("checkpoint 1 completed", first.ToString());
        var files = CommittedFiles.List(output);
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.Matches(@"^part-\d{4}-\d{8}$", Path.GetFileName(f)));
        Assert.Empty(Directory.GetFiles(output, ".*"));

        var listing = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["checkpoints", "--state-dir", state, "--json"], listing));
        var records = listing.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(records.Count >= 2, listing.ToString());
        Assert.All(records, r => Assert.True(r.TryGetProperty("duration_ms", out _) && r.TryGetProperty("size_bytes", out _) && r.TryGetProperty("alignment_ms", out _)));
        Assert.True(records[^1].GetProperty("final").GetBoolean());
        var table2 = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["checkpoints", "--state-dir", state], table2));
        Assert.Contains("COMPLETED", table2.ToString());

        var second = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(run, second));
        Assert.Contains("had already finished", second.ToString());
        Assert.Equal(files, CommittedFiles.List(output));
    }

    [Theory]
    [InlineData(new[] { "--checkpoint-interval", "1s" }, "--checkpoint-interval needs --state-dir")]
    [InlineData(new[] { "--state-dir", "STATE", "--checkpoint-interval", "soon" }, "--checkpoint-interval")]
    [InlineData(new[] { "--state-dir", "STATE", "--restart-strategy", "sometimes" }, "--restart-strategy")]
    [InlineData(new[] { "--state-dir", "STATE", "--from-savepoint", "/nonexistent/savepoint" }, "--from-savepoint: no such directory")]
    public async Task Bad_checkpoint_options_are_refused_in_one_line(string[] options, string expected)
    {
        var table = YsbData.Campaigns();
        var input = Path.Combine(_dir, "ev.jsonl");
        var campaigns = Path.Combine(_dir, "c.csv");
        YsbData.WriteCampaigns(campaigns, table);
        YsbData.WriteEvents(input, YsbData.Generate(10, 5, table));
        string[] args = ["run", "ysb", "--param", $"input={input}", "--param", $"campaigns={campaigns}", "--param", $"output={Path.Combine(_dir, "o")}",
            .. options.Select(o => o == "STATE" ? Path.Combine(_dir, "state") : o)];
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int code;
        try { code = await CliApp.RunAsync(args, new StringWriter()); }
        finally { Console.SetError(original); }
        Assert.Equal(2, code);
        Assert.Contains(expected, error.ToString());
        Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
