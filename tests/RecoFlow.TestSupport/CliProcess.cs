using System.Diagnostics;
using System.Text;

namespace RecoFlow.TestSupport;

/// <summary>
/// Runs <c>recoflow</c> as a separate OS process (<c>dotnet recoflow.dll ...</c> from the test's output directory, so
/// the test project must reference RecoFlow.Cli), for tests that kill it with SIGKILL.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly TaskCompletionSource<bool> _firstMatch = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _log;
    private readonly string? _waitFor;

    private CliProcess(Process process, StringBuilder log, string? waitFor)
    {
        Process = process;
        _log = log;
        _waitFor = waitFor;
        Stderr = process.StandardError.ReadToEndAsync();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_log) _log.AppendLine("  " + line);
                if (_waitFor is not null && line.StartsWith(_waitFor, StringComparison.Ordinal)) _firstMatch.TrySetResult(true);
            }
            _firstMatch.TrySetResult(false);
            Ended.TrySetResult();
        });
    }

    public Process Process { get; }
    public Task<string> Stderr { get; }
    private TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once a stdout line starts with the prefix given to <see cref="Start"/>; false if output ended first.</summary>
    public Task<bool> FirstMatch => _firstMatch.Task;

    /// <summary>Starts <c>recoflow</c> with <paramref name="args"/>; stdout lines are appended to <paramref name="log"/>.</summary>
    public static CliProcess Start(IEnumerable<string> args, StringBuilder log, string? waitFor = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var dll = Path.Combine(AppContext.BaseDirectory, "recoflow.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: the test project must reference RecoFlow.Cli");
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) info.Environment[k] = v;
        return new CliProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"), log, waitFor);
    }

    /// <summary>Waits for the process to exit (and its output to be read); false on timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await Process.WaitForExitAsync().WaitAsync(timeout);
            await Ended.Task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL, and wait until it is gone.</summary>
    public async Task KillAsync()
    {
        Process.Kill(entireProcessTree: true);
        await Process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }
}

/// <summary>Kills a <c>recoflow run</c> with SIGKILL at random moments, each after the run's first checkpoint, then lets a last run finish.</summary>
public static class KillLoop
{
    /// <returns>The log of all runs (stdout lines and what happened to each run).</returns>
    public static async Task<string> RunAsync(IReadOnlyList<string> args, int kills, int seed, IReadOnlyDictionary<string, string>? environment = null, int maxDelayMs = 2_500)
    {
        var rng = new Random(seed);
        var log = new StringBuilder();
        var killed = 0;
        var runs = 0;
        while (killed < kills)
        {
            if (++runs > kills * 4) throw new InvalidOperationException($"seed {seed}: the job finished before it could be killed {kills} times\n{log}");
            using var p = CliProcess.Start(args, log, "checkpoint ", environment);
            if (await Task.WhenAny(p.FirstMatch, Task.Delay(TimeSpan.FromMinutes(1))) != p.FirstMatch)
                throw new TimeoutException($"seed {seed}: no checkpoint within a minute\n{log}");
            var delay = TimeSpan.FromMilliseconds(rng.Next(0, maxDelayMs));
            if (!await p.FirstMatch || await p.WaitForExitAsync(delay))
            {
                await p.WaitForExitAsync(TimeSpan.FromMinutes(1));
                log.AppendLine($"run {runs}: exited {p.Process.ExitCode} before the kill");
                if (p.Process.ExitCode != 0) throw new InvalidOperationException($"seed {seed}: {log}\n{await p.Stderr}");
                break;
            }
            await p.KillAsync();
            killed++;
            log.AppendLine($"run {runs}: killed {delay.TotalMilliseconds:0} ms after its first checkpoint");
        }
        using (var last = CliProcess.Start(args, log, null, environment))
        {
            if (!await last.WaitForExitAsync(TimeSpan.FromMinutes(3))) throw new TimeoutException($"seed {seed}: the final run did not end\n{log}");
            log.AppendLine($"final run: exit {last.Process.ExitCode}");
            if (last.Process.ExitCode != 0) throw new InvalidOperationException($"seed {seed}: {log}\n{await last.Stderr}");
        }
        if (killed < kills) throw new InvalidOperationException($"seed {seed}: only {killed} kills\n{log}");
        return log.ToString();
    }
}
