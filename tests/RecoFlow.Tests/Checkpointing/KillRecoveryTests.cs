using System.Diagnostics;
using System.Text;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// The RecoFlow process is killed with SIGKILL at random moments while YSB runs with checkpoints every second, and
/// started again with the same state directory; the committed output must equal the independent count exactly.
/// </summary>
public sealed class KillRecoveryTests(YsbFixture ysb) : IClassFixture<YsbFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kill").FullName;
    private const int Kills = 5;

    [Fact]
    public Task Ysb_survives_sigkill_with_the_sqlite_store() => KillAndRecover(extraArgs: [], environment: null);

    [Fact]
    public async Task Ysb_survives_sigkill_with_the_postgres_store()
    {
        var connection = await TestDatabases.NewPostgresDatabaseAsync();
        await KillAndRecover(["--config", RepositoryFiles.Path("cluster-config", "persistence-postgres.conf")],
            new Dictionary<string, string> { ["RECOFLOW_PERSISTENCE_CONNECTION"] = connection });
    }

    private async Task KillAndRecover(string[] extraArgs, Dictionary<string, string>? environment)
    {
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        var output = Path.Combine(_dir, "out");
        string[] args = ["run", "ysb", "--param", $"input={ysb.Input}", "--param", $"campaigns={ysb.Campaigns}", "--param", $"output={output}",
            "--param", "rate=50000", "--state-dir", Path.Combine(_dir, "state"), "--checkpoint-interval", "1s", .. extraArgs];
        var log = new StringBuilder();
        var kills = 0;
        var runs = 0;
        while (kills < Kills)
        {
            Assert.True(++runs <= Kills * 4, $"seed {seed}: the job finished before it could be killed {Kills} times\n{log}");
            using var p = Start(args, environment);
            var stderr = p.StandardError.ReadToEndAsync();
            // Wait for this run's first checkpoint (so every run makes progress), then kill at a random moment after it.
            var firstCheckpoint = WaitForLineAsync(p, "checkpoint ", log);
            Assert.True(await Task.WhenAny(firstCheckpoint, Task.Delay(TimeSpan.FromMinutes(1))) == firstCheckpoint, $"seed {seed}: no checkpoint within a minute\n{log}");
            var delay = TimeSpan.FromMilliseconds(rng.Next(0, 2_500));
            var exited = await firstCheckpoint == false || await WaitForExitAsync(p, delay);
            if (exited)
            {
                await p.WaitForExitAsync();
                log.AppendLine($"run {runs}: exited {p.ExitCode} before the kill");
                Assert.True(p.ExitCode == 0, $"seed {seed}: {log}\n{await stderr}");
                break;
            }
            p.Kill(entireProcessTree: true); // SIGKILL
            await p.WaitForExitAsync();
            kills++;
            log.AppendLine($"run {runs}: killed {delay.TotalMilliseconds:0} ms after its first checkpoint");
        }
        // The last run goes to the end.
        using (var last = Start(args, environment))
        {
            var stdout = last.StandardOutput.ReadToEndAsync();
            var stderr = last.StandardError.ReadToEndAsync();
            Assert.True(await WaitForExitAsync(last, TimeSpan.FromMinutes(3)), $"seed {seed}: the final run did not end\n{log}");
            log.AppendLine($"final run:\n{await stdout}");
            Assert.True(last.ExitCode == 0, $"seed {seed}: exit {last.ExitCode}\n{log}\n{await stderr}");
        }
        Assert.True(kills >= Kills, $"seed {seed}: only {kills} kills\n{log}");
        Assert.Contains("resumed from checkpoint", log.ToString());
        ysb.AssertCommittedOutputExact(output);
    }

    /// <summary>Reads stdout into the log; true once a line starting with <paramref name="prefix"/> appears, false at end of output.</summary>
    private static Task<bool> WaitForLineAsync(Process p, string prefix, StringBuilder log)
    {
        var seen = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (await p.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (log) log.AppendLine("  " + line);
                if (line.StartsWith(prefix, StringComparison.Ordinal)) seen.TrySetResult(true);
            }
            seen.TrySetResult(false);
        });
        return seen.Task;
    }

    private static Process Start(string[] args, Dictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "recoflow.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) info.Environment[k] = v;
        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
    }

    private static async Task<bool> WaitForExitAsync(Process p, TimeSpan timeout)
    {
        try
        {
            await p.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
