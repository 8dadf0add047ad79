using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Cli;

/// <summary><c>recoflow checkpoints</c>: the checkpoint history of a state directory.</summary>
public static class CheckpointsListing
{
    public static async Task<int> PrintAsync(string stateDirectory, string? configFile, bool json, TextWriter output, CancellationToken cancel)
    {
        var jobFile = Path.Combine(stateDirectory, RunSettings.JobFile);
        if (!File.Exists(jobFile)) throw new UsageException($"{stateDirectory} is not a job state directory (no {RunSettings.JobFile}; run a job with --state-dir first)");
        string jobKey;
        using (var doc = JsonDocument.Parse(await File.ReadAllTextAsync(jobFile, cancel))) jobKey = doc.RootElement.GetProperty("job_key").GetString()!;
        var config = configFile is null
            ? CheckpointStore.Sqlite(Path.Combine(stateDirectory, "checkpoints.db"))
            : CheckpointStore.FromFile(ConfigurationFactory.ParseString(await File.ReadAllTextAsync(configFile, cancel)));
        var records = await CheckpointHistoryReader.ReadAsync(config.WithFallback(Runtime.Execution.RuntimeSettings.ReferenceConfig), jobKey, cancel);
        if (json)
        {
            foreach (var r in records)
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["id"] = r.Id, ["status"] = r.Status.ToString().ToUpperInvariant(), ["final"] = r.IsFinal,
                    ["triggered_at"] = r.TriggeredAt.ToString("O", CultureInfo.InvariantCulture), ["duration_ms"] = Math.Round(r.DurationMs, 1),
                    ["size_bytes"] = r.SizeBytes, ["full_size_bytes"] = Math.Max(r.FullSizeBytes, r.SizeBytes), ["alignment_ms"] = Math.Round(r.AlignmentMs, 1), ["sync_ms"] = Math.Round(r.SyncMs, 1),
                    ["tasks"] = r.Tasks.Count, ["failure"] = r.FailureCause,
                }));
            return 0;
        }
        if (records.Count == 0)
        {
            output.WriteLine("no checkpoints yet");
            return 0;
        }
        output.WriteLine($"{"id",8}  {"status",-9}  {"time (UTC)",-19}  {"duration",10}  {"size",10}  {"alignment",10}  note");
        foreach (var r in records)
            output.WriteLine($"{r.Id,8}  {r.Status.ToString().ToUpperInvariant(),-9}  {r.TriggeredAt:yyyy-MM-dd HH:mm:ss}  {r.DurationMs,7:F0} ms  {FormatSize(r.SizeBytes),10}  {r.AlignmentMs,7:F1} ms  {(r.IsFinal ? "final" : r.FailureCause ?? "")}");
        return 0;
    }

    private static string FormatSize(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes / 1024.0 / 1024.0:F1} MiB",
    };
}
