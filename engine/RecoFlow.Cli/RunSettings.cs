using System.Text.Json;
using Akka.Configuration;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Cli;

/// <summary>How <c>recoflow run</c> runs a job: state directory, checkpoints, store, restart strategy, savepoints.</summary>
public sealed record RunSettings
{
    public string? StateDirectory { get; init; }
    public string? CheckpointInterval { get; init; }
    public string? ConfigFile { get; init; }
    public string? RestartStrategy { get; init; }
    public bool SavepointOnStop { get; init; }
    public string? FromSavepoint { get; init; }
    public string? DeadLetterFile { get; init; }

    /// <summary>The file in a state directory that names the job whose state it holds.</summary>
    public const string JobFile = "job.json";

    /// <summary>Checks the settings and derives the runtime's configuration and the job's options.</summary>
    public (Config Runtime, JobRunOptions Options) Resolve(string jobName)
    {
        if (StateDirectory is null)
        {
            if (CheckpointInterval is not null) throw new UsageException("--checkpoint-interval needs --state-dir (where checkpoints are kept)");
            if (SavepointOnStop) throw new UsageException("--savepoint-on-stop needs --state-dir (savepoints are written to STATE_DIR/savepoints)");
        }
        if (FromSavepoint is not null && !Directory.Exists(FromSavepoint)) throw new UsageException($"--from-savepoint: no such directory: {FromSavepoint}");
        var config = Config.Empty;
        if (ConfigFile is not null)
        {
            if (!File.Exists(ConfigFile)) throw new UsageException($"--config: file not found: {ConfigFile}");
            try { config = ConfigurationFactory.ParseString(File.ReadAllText(ConfigFile)); }
            catch (Exception e) when (e is not UsageException) { throw new UsageException($"--config {ConfigFile}: {e.Message}"); }
        }
        RestartStrategy? restart = null;
        try { if (RestartStrategy is not null) restart = Runtime.Checkpointing.RestartStrategy.Parse(RestartStrategy); }
        catch (ArgumentException e) { throw new UsageException($"--restart-strategy: {e.Message}"); }

        CheckpointOptions? checkpoints = null;
        string? jobKey = null;
        if (StateDirectory is not null)
        {
            TimeSpan interval;
            try { interval = CheckpointInterval is null ? TimeSpan.FromSeconds(1) : Durations.Parse(CheckpointInterval); }
            catch (FormatException e) { throw new UsageException($"--checkpoint-interval: {e.Message}"); }
            if (interval <= TimeSpan.Zero) throw new UsageException("--checkpoint-interval must be positive");
            checkpoints = new CheckpointOptions { Interval = interval };
            Directory.CreateDirectory(StateDirectory);
            jobKey = JobKeyOf(StateDirectory, jobName);
            config = CheckpointStore.IsConfigured(config) ? CheckpointStore.FromFile(config) : CheckpointStore.Sqlite(Path.Combine(StateDirectory, "checkpoints.db")).WithFallback(config);
        }
        var options = new JobRunOptions
        {
            StateDirectory = StateDirectory,
            DeadLetterFile = DeadLetterFile,
            Checkpoints = checkpoints,
            RestartStrategy = restart,
            JobKey = jobKey,
            FromSavepoint = FromSavepoint,
        };
        return (config, options);
    }

    /// <summary>
    /// The key under which the job's checkpoints are stored: recorded in the state directory on first use, so the same
    /// directory always resumes the same job, and two directories never share state in a shared store.
    /// </summary>
    public static string JobKeyOf(string stateDirectory, string jobName)
    {
        var file = Path.Combine(stateDirectory, JobFile);
        if (File.Exists(file))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var job = doc.RootElement.GetProperty("job").GetString();
            if (!string.Equals(job, jobName, StringComparison.Ordinal))
                throw new UsageException($"state directory {stateDirectory} holds the state of job '{job}', not '{jobName}'");
            return doc.RootElement.GetProperty("job_key").GetString()!;
        }
        var key = $"{jobName}-{Guid.NewGuid():N}"[..(jobName.Length + 13)];
        File.WriteAllText(file, JsonSerializer.Serialize(new Dictionary<string, string> { ["job"] = jobName, ["job_key"] = key }));
        return key;
    }
}
