using System.Diagnostics.Metrics;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.ControlPlane;

/// <summary>
/// The jobs' instruments (System.Diagnostics.Metrics), read from the jobs when a listener collects: per task records in
/// and out, busy and backpressured time and watermark lag; per job dead letters, running, restarts, checkpoint counts
/// and the newest checkpoint's duration and size. Names and units follow Prometheus's conventions once exported
/// (seconds, bytes; <c>job_id</c>/<c>job_name</c> labels, since a label <c>job</c> collides with the scrape target's).
/// A node registers them on its meter (exported on /metrics); <c>recoflow run</c> on <see cref="RunMeterName"/>, for
/// <c>dotnet-counters</c> or any other listener.
/// </summary>
public static class JobInstruments
{
    /// <summary>The meter of a <c>recoflow run</c>: <c>dotnet-counters monitor --counters RecoFlow.Run -p PID</c>.</summary>
    public const string RunMeterName = "RecoFlow.Run";

    public static void Register(Meter meter, IJobRegistry jobs)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(jobs);
        meter.CreateObservableCounter("recoflow.task.records_in", () => PerTask(jobs, c => c.RecordsIn), "{record}", "Records a task received (over channels, or from its source)");
        meter.CreateObservableCounter("recoflow.task.records_out", () => PerTask(jobs, c => c.RecordsOut), "{record}", "Records a task emitted (over channels, or into its sinks)");
        meter.CreateObservableCounter("recoflow.task.busy_time", () => PerTask(jobs, c => c.Busy.TotalSeconds), "s", "Time a task spent processing");
        meter.CreateObservableCounter("recoflow.task.backpressured_time", () => PerTask(jobs, c => c.Backpressured.TotalSeconds), "s", "Time a task waited for output credit");
        meter.CreateObservableGauge("recoflow.task.watermark_lag", () => WatermarkLags(jobs), "s", "Wall clock minus the task's current watermark");
        meter.CreateObservableCounter("recoflow.job.dead_letters", () => PerJob(jobs, j => j.DeadLetterCount), "{record}", "Records an operator could not process");
        meter.CreateObservableGauge("recoflow.job.running", () => PerJob(jobs, j => j.Status == JobState.Running ? 1 : 0), null, "1 while the job runs");
        meter.CreateObservableCounter("recoflow.job.restarts", () => PerJob(jobs, j => j.Restarts ?? 0), "{restart}", "Restarts of the job (and resubmissions after its job manager moved)");
        meter.CreateObservableCounter("recoflow.job.checkpoints", () => CheckpointCounts(jobs), "{checkpoint}", "Checkpoints since the job (its current submission) started, by status: completed, failed");
        meter.CreateObservableGauge("recoflow.job.checkpoint.last_duration", () => LastCheckpoint(jobs, c => c.DurationMs / 1000.0), "s", "Duration of the newest completed checkpoint, trigger to completion");
        meter.CreateObservableGauge("recoflow.job.checkpoint.last_size", () => LastCheckpoint(jobs, c => c.SizeBytes), "By", "Bytes the newest completed checkpoint wrote");
    }

    private static IEnumerable<Measurement<T>> PerTask<T>(IJobRegistry jobs, Func<TaskCounters, T> value) where T : struct
    {
        foreach (var j in jobs.Jobs)
            foreach (var c in j.SampleTasks())
                yield return new Measurement<T>(value(c), Tags(j, c));
    }

    private static IEnumerable<Measurement<double>> WatermarkLags(IJobRegistry jobs)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var j in jobs.Jobs)
            foreach (var c in j.SampleTasks())
                if (WatermarkLagMs(c.Watermark, now) is { } lag)
                    yield return new Measurement<double>(lag / 1000.0, Tags(j, c));
    }

    /// <summary>Wall clock minus a task's watermark, in ms; null without one (or after its input ended).</summary>
    public static long? WatermarkLagMs(long? watermark, long nowMs) =>
        watermark is { } w && w != Api.Time.Watermark.MaxWatermark ? nowMs - w : null;

    private static IEnumerable<Measurement<long>> PerJob(IJobRegistry jobs, Func<IJobHandle, long> value) =>
        jobs.Jobs.Select(j => new Measurement<long>(value(j), Tags(j)));

    private static IEnumerable<Measurement<long>> CheckpointCounts(IJobRegistry jobs)
    {
        foreach (var j in jobs.Jobs)
        {
            if (j.CheckpointTotals is not { } totals) continue;
            yield return new Measurement<long>(totals.Completed, [.. Tags(j), new("status", "completed")]);
            yield return new Measurement<long>(totals.Failed, [.. Tags(j), new("status", "failed")]);
        }
    }

    private static IEnumerable<Measurement<double>> LastCheckpoint(IJobRegistry jobs, Func<CheckpointView, double?> value)
    {
        foreach (var j in jobs.Jobs)
            if (j.Checkpoints.LastOrDefault(c => c.Status.StartsWith("COMPLETED", StringComparison.Ordinal)) is { } last && value(last) is { } v)
                yield return new Measurement<double>(v, Tags(j));
    }

    private static KeyValuePair<string, object?>[] Tags(IJobHandle j) => [new("job_id", j.Id), new("job_name", j.Name)];

    private static KeyValuePair<string, object?>[] Tags(IJobHandle j, TaskCounters c) =>
    [
        new("job_id", j.Id), new("job_name", j.Name), new("task", c.TaskId), new("operator", c.Name),
    ];
}
