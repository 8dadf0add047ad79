using RecoFlow.Cli;

namespace RecoFlow.Tests.Cli;

/// <summary><c>recoflow bench</c> is a thin entry to the repository's bench/RecoFlow.Bench; these check how it finds it.</summary>
public sealed class BenchEntryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bench-entry").FullName;

    [Fact]
    public void Finds_the_checkout_from_the_binaries_and_nothing_outside_one()
    {
        var root = BenchEntry.FindRepository(AppContext.BaseDirectory);
        Assert.NotNull(root);
        Assert.True(File.Exists(Path.Combine(root, "RecoFlow.sln")));
        Assert.True(File.Exists(Path.Combine(root, BenchEntry.BenchProject, "RecoFlow.Bench.csproj")));
        Assert.Null(BenchEntry.FindRepository(_dir));
    }

    [Fact]
    public async Task Outside_a_checkout_it_says_where_the_benchmarks_live_in_one_line_and_exits_2()
    {
        var (code, stderr) = await WithStderrAsync(() => BenchEntry.RunAsync(["--only", "engine"], _dir, new StringWriter(), CancellationToken.None));
        Assert.Equal(2, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("bench/RecoFlow.Bench", lines[0]);
    }

    [Fact]
    public async Task In_a_checkout_it_runs_the_bench_project_and_returns_its_exit_code()
    {
        // A checkout whose bench project is an empty folder: `dotnet run` fails, and its exit code comes back.
        File.WriteAllText(Path.Combine(_dir, "RecoFlow.sln"), "");
        Directory.CreateDirectory(Path.Combine(_dir, BenchEntry.BenchProject));
        var start = Directory.CreateDirectory(Path.Combine(_dir, "engine", "bin")).FullName;
        var (code, stderr) = await WithStderrAsync(() => BenchEntry.RunAsync(["--quick"], start, new StringWriter(), CancellationToken.None));
        Assert.NotEqual(0, code);
        Assert.Contains($"dotnet run --project {Path.Combine(_dir, BenchEntry.BenchProject)} -c Release -- --quick", stderr);
    }

    [Fact]
    public async Task Its_help_lists_the_bench_options()
    {
        var stdout = Console.Out;
        var help = new StringWriter();
        Console.SetOut(help);
        try
        {
            Assert.Equal(0, await CliApp.RunAsync(["bench", "--help"]));
        }
        finally
        {
            Console.SetOut(stdout);
        }
        foreach (var option in new[] { "--quick", "--doc", "--kafka-only", "--checkpoints-only", "--delivery", "--only", "--rows", "--events" })
            Assert.Contains(option, help.ToString());
    }

    private static async Task<(int Code, string Stderr)> WithStderrAsync(Func<Task<int>> run)
    {
        var stderr = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            return (await run(), captured.ToString());
        }
        finally
        {
            Console.SetError(stderr);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
