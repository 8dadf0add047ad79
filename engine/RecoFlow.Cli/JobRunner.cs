using System.Diagnostics;
using RecoFlow.Api;
using RecoFlow.Api.Graph;
using RecoFlow.Api.Streams;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Jobs;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cli;

/// <summary>Resolves a built-in job and its parameters, and runs it on the embedded runtime with progress on the terminal.</summary>
public static class JobRunner
{
    public static IJobDefinition FindJob(string name) =>
        BuiltInJobs.Find(name) ?? throw new UsageException($"unknown job '{name}' (known: {string.Join(", ", BuiltInJobs.All.Select(j => j.Name))})");

    /// <summary>Flink's <c>-p</c>: the job's default parallelism, overriding the job's own (operators that set theirs keep it).</summary>
    public static System.CommandLine.Option<int?> ParallelismOption() => new("--parallelism", "-p")
    {
        Description = "default parallelism of the job's operators (overrides the job's own and its 'parallelism' parameter); job parameters are -P/--param",
    };

    /// <summary><c>--state-backend heap|rocksdb</c>: where the job's keyed state lives (default: the job's own choice, heap unless it says otherwise).</summary>
    public static System.CommandLine.Option<string?> StateBackendOption() => new("--state-backend")
    {
        Description = "where keyed state lives: heap (default) or rocksdb (state larger than memory; same checkpoint format, so a savepoint moves between them)",
    };

    /// <summary>Parses the value of <c>--state-backend</c>; an unknown name is a usage error naming it.</summary>
    public static Api.State.StateBackendKind? ParseStateBackend(string? name)
    {
        if (name is null) return null;
        try { return Api.State.StateBackends.Parse(name); }
        catch (ArgumentException) { throw new UsageException($"unknown --state-backend '{name}' (known: {string.Join(", ", Api.State.StateBackends.Names)})"); }
    }

    public static Dictionary<string, string> ParseParams(IEnumerable<string> raw)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in raw)
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new UsageException($"malformed --param '{p}': expected key=value (-p is --parallelism; job parameters are -P/--param)");
            values[p[..eq]] = p[(eq + 1)..];
        }
        return values;
    }

    /// <summary>Builds and validates the job graph; parameter and validation problems become usage errors.</summary>
    /// <summary>
    /// The job <c>recoflow run</c> runs: a built-in job by name, or with <paramref name="jobClass"/> that class of an
    /// assembly, a published folder or a zip of one, loaded as a node loads a submitted job (its own collectible context,
    /// its dependencies from the folder). Disposing the result unloads that context.
    /// </summary>
    public static async Task<LoadedJob> LoadAsync(string job, string? jobClass, IReadOnlyDictionary<string, string> values, int? parallelism, CancellationToken cancellationToken,
        Api.State.StateBackendKind? stateBackend = null)
    {
        var isCode = job.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || job.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || Directory.Exists(job);
        if (!isCode)
        {
            if (jobClass is not null) throw new UsageException("--job-class needs an assembly (.dll), a published folder or a zip of one instead of a built-in job name");
            return new LoadedJob(BuildGraph(FindJob(job), values, parallelism, stateBackend));
        }
        if (jobClass is null) throw new UsageException("an assembly or a published folder needs --job-class (the full name of its IJobDefinition class)");
        var bytes = await JobPackage.ReadAsync(job, cancellationToken);
        try { return JobAssemblyLoader.Load(bytes, jobClass, values, parallelism, stateBackend); }
        catch (JobSubmissionException e) { throw new UsageException(e.Message); }
    }

    public static JobGraph BuildGraph(IJobDefinition definition, IReadOnlyDictionary<string, string> values, int? parallelism = null, Api.State.StateBackendKind? stateBackend = null)
    {
        try
        {
            return definition.BuildGraph(values, parallelism, stateBackend);
        }
        catch (JobParameterException e) { throw new UsageException($"job '{definition.Name}': {e.Message}"); }
        catch (JobValidationException e) { throw new UsageException(e.Message); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or FormatException or IOException)
        {
            throw new UsageException($"job '{definition.Name}': {e.Message}");
        }
    }

    public static Task<int> RunAsync(JobGraph graph, JobRunOptions options, TextWriter output, CancellationToken cancel) =>
        RunAsync(graph, new RunSettings { DeadLetterFile = options.DeadLetterFile }, output, cancel);

    /// <summary>Runs a job to its end (or Ctrl+C); with a state directory, with checkpoints, resuming where the last run stopped.</summary>
    public static async Task<int> RunAsync(JobGraph graph, RunSettings run, TextWriter output, CancellationToken cancel)
    {
        // The state directory is this run's alone: a second process on it would write the same checkpoints and output.
        using var stateLock = run.StateDirectory is { } dir ? StateDirectoryLock.Acquire(dir, StateDirectoryHolder.Run()) : null;
        var (runtimeConfig, options) = run.Resolve(graph.Name);
        using var logging = CliLogging.Start(runtimeConfig, run.StateDirectory, "run");
        using var kafkaLog = KafkaLogging.To(logging);
        await using var runtime = LocalRuntime.Start(logging.AkkaConfig.WithFallback(runtimeConfig));
        var client = runtime.Submit(graph, options);
        // The job's instruments on meter RecoFlow.Run, for dotnet-counters (or any MeterListener) to watch the run.
        var jobs = new ControlPlane.LocalJobRegistry();
        jobs.Add(client);
        using var meter = new System.Diagnostics.Metrics.Meter(ControlPlane.JobInstruments.RunMeterName);
        ControlPlane.JobInstruments.Register(meter, jobs);
        return await FollowAsync(client, output, cancel, run);
    }

    /// <summary>
    /// Follows a submitted job to its end with progress on the terminal; Ctrl+C (<paramref name="cancel"/>) cancels it,
    /// or with <see cref="RunSettings.SavepointOnStop"/> takes a savepoint and then stops it.
    /// </summary>
    public static async Task<int> FollowAsync(JobClient client, TextWriter output, CancellationToken cancel, RunSettings? run = null)
    {
        using var registration = cancel.Register(() =>
        {
            if (run is { SavepointOnStop: true, StateDirectory: { } stateDirectory })
            {
                Console.Error.WriteLine();
                Console.Error.WriteLine("recoflow: taking a savepoint before stopping...");
                _ = client.TriggerSavepointAsync(Path.Combine(stateDirectory, "savepoints"), stop: true).ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) output.WriteLine($"savepoint written: {t.Result}");
                    else
                    {
                        Console.Error.WriteLine($"recoflow: {t.Exception?.InnerException?.Message}; cancelling without a savepoint");
                        client.Cancel();
                    }
                }, TaskScheduler.Default);
            }
            else client.Cancel();
        });
        var sw = Stopwatch.StartNew();
        var interactive = !Console.IsErrorRedirected;
        long lastReported = 0;
        while (!client.Completion.IsCompleted)
        {
            await Task.WhenAny(client.Completion, Task.Delay(1000, CancellationToken.None));
            lastReported = ReportCheckpoints(client, output, lastReported, interactive);
            if (interactive && !client.Completion.IsCompleted)
                Console.Error.Write($"\r{Progress(client, sw.Elapsed)}   ");
        }
        if (interactive) Console.Error.WriteLine();
        var result = await client.Completion;
        var (sourced, sunk) = Totals(client);
        var seconds = Math.Max(sw.Elapsed.TotalSeconds, 1e-3);
        if (result.AlreadyFinished)
            output.WriteLine($"job {client.Plan.Graph.Name} had already finished (final checkpoint {result.RestoredFrom}); its output is committed and nothing was written again");
        else if (result.RestoredFrom is { } from)
            output.WriteLine($"resumed from checkpoint {from}");
        output.WriteLine($"job {result.JobId} {result.State.ToString().ToUpperInvariant()} in {sw.Elapsed.TotalSeconds:F2} s: {sourced:N0} records read ({sourced / seconds:N0}/s), {sunk:N0} records written, {client.DeadLetterCount:N0} dead letters" +
            (result.Restarts > 0 ? $", {result.Restarts} restarts" : "") + (result.LastCheckpoint is { } last ? $", last checkpoint {last}" : ""));
        foreach (var d in client.DeadLetters.Take(5)) output.WriteLine($"  dead letter from {d.OperatorName}: {d.Reason}");
        if (result.State == JobState.Failed)
        {
            Console.Error.WriteLine($"recoflow: job failed: {result.Failure?.Message}");
            return 1;
        }
        return result.State == JobState.Finished ? 0 : 130;
    }

    /// <summary>One line per checkpoint since the last report (on stdout, so logs and scripts can follow a run).</summary>
    private static long ReportCheckpoints(JobClient client, TextWriter output, long after, bool interactive)
    {
        foreach (var c in client.Metrics.Checkpoints)
        {
            if (c.Id <= after) continue;
            after = c.Id;
            if (interactive) Console.Error.Write("\r");
            output.WriteLine(c.Status == Runtime.Checkpointing.CheckpointStatus.Completed
                ? $"checkpoint {c.Id} completed in {c.DurationMs:F0} ms ({c.SizeBytes:N0} bytes, alignment {c.AlignmentMs:F1} ms)"
                : $"checkpoint {c.Id} failed: {c.FailureCause}");
        }
        return after;
    }

    private static (long Sourced, long Sunk) Totals(JobClient client)
    {
        long sourced = 0, sunk = 0;
        foreach (var t in client.Metrics.Tasks)
        {
            sourced += t.RecordsRead;
            sunk += t.RecordsWritten;
        }
        return (sourced, sunk);
    }

    private static string Progress(JobClient client, TimeSpan elapsed)
    {
        var (sourced, sunk) = Totals(client);
        return $"{elapsed:mm\\:ss} read {sourced:N0} ({sourced / Math.Max(elapsed.TotalSeconds, 1e-3):N0}/s), written {sunk:N0}, dead letters {client.DeadLetterCount:N0}";
    }
}
