using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RecoFlow.Cli;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Bench;

/// <summary>
/// Recovery time of one process after SIGKILL: <c>recoflow run ysb … --state-dir D --checkpoint-interval 1s</c> (a
/// child process, input replayed at a fixed rate) is killed about 2 s after its first checkpoint and started again
/// with the same state directory. "Processing again" = the first checkpoint the restarted process completes: it
/// restored the last checkpoint, read and processed input, and committed output (the YSB file sink commits at
/// checkpoints, so that is also the first output after the resume). Times come from the checkpoint store
/// (completion time of that checkpoint) and from this process's clock around the kill and the restart. A fresh start
/// (no state) to its first checkpoint is measured the same way, for comparison.
/// </summary>
internal static class RecoveryBench
{
    public sealed record Run(double FreshStartToFirstCheckpointMs, double KillToCheckpointMs, double RestartToCheckpointMs, long RestoredCheckpoint);

    public sealed record Result(int Runs, long Events, int Rate, double FreshMs, double KillMs, double RestartMs, double KillMin, double KillMax);

    public static async Task<Result> RunAsync(bool quick, TextWriter log, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-recovery").FullName;
        try
        {
            const int rate = 20_000;
            var events = quick ? 400_000 : 600_000;
            var table = YsbData.Campaigns();
            var input = Path.Combine(dir, "events.jsonl");
            var campaigns = Path.Combine(dir, "campaigns.csv");
            YsbData.WriteEvents(input, YsbData.Generate(events, 1, table));
            YsbData.WriteCampaigns(campaigns, table);
            var runs = new List<Run>();
            var count = quick ? 3 : 5;
            for (var i = 0; i < count + 1; i++)
            {
                ct.ThrowIfCancellationRequested();
                log.WriteLine($"recovery: run {i + 1} of {count + 1}{(i == 0 ? " (warm-up)" : "")} ...");
                var run = await OnceAsync(Path.Combine(dir, $"run-{i}"), input, campaigns, rate, ct);
                log.WriteLine($"  fresh start → first checkpoint {run.FreshStartToFirstCheckpointMs:F0} ms; kill → first checkpoint after restart {run.KillToCheckpointMs:F0} ms (restart → {run.RestartToCheckpointMs:F0} ms), resumed from checkpoint {run.RestoredCheckpoint}");
                if (i > 0) runs.Add(run);
            }
            return new Result(runs.Count, events, rate, BenchDoc.Median([.. runs.Select(r => r.FreshStartToFirstCheckpointMs)]),
                BenchDoc.Median([.. runs.Select(r => r.KillToCheckpointMs)]), BenchDoc.Median([.. runs.Select(r => r.RestartToCheckpointMs)]),
                runs.Min(r => r.KillToCheckpointMs), runs.Max(r => r.KillToCheckpointMs));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<Run> OnceAsync(string dir, string input, string campaigns, int rate, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var state = Path.Combine(dir, "state");
        string[] args = ["run", "ysb", "--param", $"input={input}", "--param", $"campaigns={campaigns}", "--param", $"output={Path.Combine(dir, "out")}",
            "--param", $"rate={rate.ToString(CultureInfo.InvariantCulture)}", "--state-dir", state, "--checkpoint-interval", "1s"];

        var freshStart = DateTime.UtcNow;
        using (var first = Child.Start(args))
        {
            await first.WaitForCheckpointLineAsync(ct);
            await Task.Delay(2_000, ct);
            if (first.Process.HasExited) throw new InvalidOperationException("recovery bench: the job finished before the kill; give it more input");
        }
        var killedAt = DateTime.UtcNow; // Child.Dispose kills with SIGKILL and waits for the exit
        var restartAt = DateTime.UtcNow;
        List<CheckpointRecord> completed;
        using (var second = Child.Start(args))
        {
            // The restarted run reports the restored history first; wait in the store for a checkpoint of its own.
            await second.WaitForCheckpointLineAsync(ct);
            var wait = Stopwatch.StartNew();
            while (true)
            {
                completed = [.. (await HistoryAsync(state, ct)).Where(r => r.Status == CheckpointStatus.Completed).OrderBy(r => r.CompletedAt)];
                if (completed.Any(r => r.TriggeredAt > restartAt) || wait.Elapsed > TimeSpan.FromSeconds(30) || second.Process.HasExited) break;
                await Task.Delay(500, ct);
            }
        }
        var firstEver = completed.FirstOrDefault() ?? throw new InvalidOperationException("recovery bench: no checkpoint in the store");
        var lastBeforeKill = completed.LastOrDefault(r => r.CompletedAt < killedAt) ?? throw new InvalidOperationException("recovery bench: no checkpoint before the kill");
        var afterRestart = completed.FirstOrDefault(r => r.TriggeredAt > restartAt) ?? throw new InvalidOperationException("recovery bench: no checkpoint after the restart");
        return new Run((firstEver.CompletedAt - freshStart).TotalMilliseconds, (afterRestart.CompletedAt - killedAt).TotalMilliseconds,
            (afterRestart.CompletedAt - restartAt).TotalMilliseconds, lastBeforeKill.Id);
    }

    private static async Task<IReadOnlyList<CheckpointRecord>> HistoryAsync(string stateDirectory, CancellationToken ct)
    {
        string jobKey;
        using (var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(stateDirectory, RunSettings.JobFile), ct)))
            jobKey = doc.RootElement.GetProperty("job_key").GetString()!;
        var config = CheckpointStore.Sqlite(Path.Combine(stateDirectory, "checkpoints.db")).WithFallback(RuntimeSettings.ReferenceConfig);
        return await CheckpointHistoryReader.ReadAsync(config, jobKey, ct);
    }

    /// <summary>A <c>recoflow</c> child; stdout is followed for its first checkpoint line; disposing kills it (SIGKILL) and waits.</summary>
    private sealed class Child : IDisposable
    {
        private readonly TaskCompletionSource _checkpoint = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly StringBuilder _out = new();

        private Child(Process process)
        {
            Process = process;
            _ = process.StandardError.ReadToEndAsync();
            _ = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (_out) _out.AppendLine(line);
                    if (line.StartsWith("checkpoint ", StringComparison.Ordinal)) _checkpoint.TrySetResult();
                }
                _checkpoint.TrySetException(new InvalidOperationException($"recovery bench: recoflow exited before a checkpoint\n{_out}"));
            });
        }

        public Process Process { get; }

        public static Child Start(IEnumerable<string> args) =>
            new(Process.Start(SelfProcess.Recoflow(args)) ?? throw new InvalidOperationException("could not start recoflow"));

        public Task WaitForCheckpointLineAsync(CancellationToken ct) => _checkpoint.Task.WaitAsync(TimeSpan.FromMinutes(1), ct);

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }
            Process.Dispose();
        }
    }

    public static string Render(Result r, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}` ({Environment.ProcessorCount} cores; median of {r.Runs} runs after a warm-up run). `recoflow run ysb --param rate={r.Rate} … --state-dir D --checkpoint-interval 1s` as a child process ({r.Events:N0} events from a file, SQLite store), killed with SIGKILL about 2 s after its first checkpoint and started again with the same state directory. **processing again** = completion of the first checkpoint of the restarted process (it restored the last checkpoint, read and processed input and committed output; the YSB file sink commits at checkpoints, so this is also its first output after the resume). With a 1 s interval the first checkpoint is triggered about 1 s after the job starts, so up to ~1 s of each figure is that wait; the fresh-start row has the same wait, and the difference between the rows is what recovery itself costs.");
        sb.AppendLine();
        sb.AppendLine("| single process, YSB | median | range |");
        sb.AppendLine("| --- | ---: | ---: |");
        sb.AppendLine($"| fresh start (no state): process start → first checkpoint completed | {r.FreshMs:N0} ms | |");
        sb.AppendLine($"| restart after kill -9: process start → first checkpoint completed | {r.RestartMs:N0} ms | |");
        sb.AppendLine($"| kill -9 → first checkpoint completed by the restarted process (restart immediate) | {r.KillMs:N0} ms | {r.KillMin:N0}–{r.KillMax:N0} ms |");
        return sb.ToString();
    }
}
