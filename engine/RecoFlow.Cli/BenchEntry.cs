using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;

namespace RecoFlow.Cli;

/// <summary>
/// <c>recoflow bench</c>: a thin entry to the benchmarks, which live in the repository's <c>bench/RecoFlow.Bench</c>
/// (<c>recoflow-bench</c>), so that the CLI does not carry them or their peer libraries. From a checkout it runs
/// <c>dotnet run --project ROOT/bench/RecoFlow.Bench -c Release -- ARGS</c> with every argument after <c>bench</c>
/// unchanged, in the current directory, with this console, and exits with its exit code. Outside a checkout it prints
/// one line and exits with 2. Its help lists the bench's options; any argument is forwarded, and the bench checks them.
/// </summary>
public static class BenchEntry
{
    /// <summary>The bench project, relative to the folder that holds <c>RecoFlow.sln</c>.</summary>
    public const string BenchProject = "bench/RecoFlow.Bench";

    public static Command Create(TextWriter output, string? startDirectory = null)
    {
        // The options of recoflow-bench, for the help; what runs is recoflow-bench's own parse of the same arguments.
        var cmd = new Command("bench", "benchmark the engine against a hand-written loop; prints a table and rewrites docs/benchmarks.md (runs the repository's bench/RecoFlow.Bench)")
        {
            new Option<bool>("--quick") { Description = "fewer events and runs" },
            new Option<string?>("--doc") { Description = "markdown file to rewrite with the results (default docs/benchmarks.md)" },
            new Option<bool>("--kafka-only") { Description = "run only the Kafka row (dev broker); prints it, leaves the doc alone" },
            new Option<bool>("--checkpoints-only") { Description = "run only the checkpoint rows (with the incremental ones); rewrites their sections of the doc" },
            new Option<bool>("--incremental-only") { Description = "run only the incremental checkpoint rows (bytes written incremental vs full, the synchronous pause at 1M and 10M keys); rewrites their section of the doc" },
            new Option<bool>("--delivery") { Description = "run only the event-to-screen rows (POST /collect to WebSocket push at 1,000 and 10,000 events/s); rewrites their section of the doc" },
            new Option<string?>("--only") { Description = "run only these parts (comma-separated: engine, latency, memory, recovery, peers, cluster, scale-out, reco, soak); rewrites their sections of the doc (engine: prints its rows only)" },
            new Option<string?>("--rows") { Description = "with --only engine: run only these engine rows (comma-separated: ysb, q0, q1, q2, q5, q7, q8), e.g. to profile one query" },
            new Option<int?>("--events") { Description = "with --only engine: events per engine row (default 2,000,000; 500,000 with --quick); more events amortise each run's job start" },
        };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction((r, ct) => RunAsync(ForwardedArguments(r), startDirectory ?? AppContext.BaseDirectory, output, ct));
        return cmd;
    }

    /// <summary>Every token after the <c>bench</c> command, as given (response files expanded).</summary>
    private static string[] ForwardedArguments(ParseResult r)
    {
        var tokens = r.Tokens;
        var bench = tokens.ToList().FindIndex(t => t.Type == TokenType.Command && t.Value == "bench");
        return [.. tokens.Skip(bench + 1).Select(t => t.Value)];
    }

    /// <summary>The folder that holds <c>RecoFlow.sln</c> and the bench project, walking up from <paramref name="start"/>; null outside a checkout.</summary>
    public static string? FindRepository(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RecoFlow.sln")) && Directory.Exists(Path.Combine(dir.FullName, BenchProject)))
                return dir.FullName;
        return null;
    }

    /// <summary>Runs the bench project with <paramref name="args"/>; its exit code, or 2 outside a checkout.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, string startDirectory, TextWriter output, CancellationToken ct)
    {
        if (FindRepository(startDirectory) is not { } root)
        {
            Console.Error.WriteLine($"recoflow: the benchmarks live in the RecoFlow repository's {BenchProject} (recoflow-bench); run `recoflow bench` from a build of a checkout, or `dotnet run --project {BenchProject} -c Release -- ARGS` in one");
            return 2;
        }
        var project = Path.Combine(root, BenchProject);
        // This console's stdout is inherited; any other writer (tests) gets the child's stdout line by line.
        var redirect = !ReferenceEquals(output, Console.Out);
        var info = new ProcessStartInfo(DotnetHost()) { UseShellExecute = false, RedirectStandardOutput = redirect };
        foreach (var a in (string[])["run", "--project", project, "-c", "Release", "--"]) info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        Console.Error.WriteLine($"recoflow bench: dotnet run --project {project} -c Release -- {string.Join(' ', args)}");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var copy = redirect
            ? Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line) output.WriteLine(line);
            }, CancellationToken.None)
            : Task.CompletedTask;
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C reached the child as well (same console): let it stop on its own, then make sure it has.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        await copy;
        return process.ExitCode;
    }

    /// <summary>The <c>dotnet</c> running this CLI when it runs as <c>dotnet recoflow.dll</c>; otherwise the one on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
}
