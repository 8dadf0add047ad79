using System.Diagnostics.Metrics;
using HdrHistogram;
using RecoFlow.ControlPlane;
using RecoFlow.Server.Jobs;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Server.Metrics;

/// <summary>Latency percentiles in milliseconds over the recent window; null without samples.</summary>
public sealed record LatencyPercentiles(long Count, double P50, double P95, double P99, double P999, double Max);

/// <summary>Where end-to-end latencies are reported (by sinks, see <see cref="LatencyRecordingSink{T}"/>).</summary>
public interface ILatencyRecorder
{
    void Record(TimeSpan latency);
}

/// <summary>
/// The node's instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>), exported on /metrics:
/// per-task records in/out, busy and backpressured time and watermark lag (read from the jobs at scrape time),
/// dead letters per job, the end-to-end latency histogram, and what the node's modules add on <see cref="Meter"/>. Latencies also go to an
/// HdrHistogram whose last minute gives the dashboard's percentiles.
/// </summary>
public sealed class NodeMetrics : ILatencyRecorder, IDisposable
{
    public const string MeterName = "RecoFlow.Node";
    private const int LatencyWindows = 60;

    private readonly Meter _meter;
    private readonly Histogram<double> _latency;
    private readonly Recorder _recorder = new(1, TimeSpan.FromHours(1).Ticks / 10, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
    private readonly Queue<HistogramBase> _windows = new();
    private readonly Lock _lock = new();

    private static int _instances;

    /// <summary>
    /// <see cref="MeterName"/> for the first server of a process, <c>RecoFlow.Node.N</c> for the next ones: OpenTelemetry
    /// merges instruments of equally named meters, and one server stopping would end the other's series.
    /// </summary>
    public static string NextMeterName() => Interlocked.Increment(ref _instances) is var n && n == 1 ? MeterName : $"{MeterName}.{n}";

    /// <summary>The node's meter: modules plugged into the node (<see cref="INodeModule"/>) create their instruments on it, so /metrics exports them.</summary>
    public Meter Meter => _meter;

    public NodeMetrics(IJobRegistry jobs, string meterName = MeterName)
    {
        _meter = new Meter(meterName);
        _latency = _meter.CreateHistogram<double>("recoflow.latency", "ms", "End-to-end latency: wall clock at the sink minus the event time the result stands for");
        _meter.CreateObservableCounter("recoflow.task.records_in", () => PerTask(jobs, c => c.RecordsIn), "{record}", "Records a task received (over channels, or from its source)");
        _meter.CreateObservableCounter("recoflow.task.records_out", () => PerTask(jobs, c => c.RecordsOut), "{record}", "Records a task emitted (over channels, or into its sinks)");
        _meter.CreateObservableCounter("recoflow.task.busy_time", () => PerTask(jobs, c => c.Busy.TotalSeconds), "s", "Time a task spent processing");
        _meter.CreateObservableCounter("recoflow.task.backpressured_time", () => PerTask(jobs, c => c.Backpressured.TotalSeconds), "s", "Time a task waited for output credit");
        _meter.CreateObservableGauge("recoflow.task.watermark_lag", () => WatermarkLags(jobs), "ms", "Wall clock minus the task's current watermark");
        _meter.CreateObservableCounter("recoflow.job.dead_letters", () => jobs.Jobs.Select(j => new Measurement<long>(j.DeadLetterCount, new KeyValuePair<string, object?>("job", j.Id))), "{record}", "Records an operator could not process");
        _meter.CreateObservableGauge("recoflow.job.running", () => jobs.Jobs.Select(j => new Measurement<int>(j.Status == JobState.Running ? 1 : 0, new KeyValuePair<string, object?>("job", j.Id))), null, "1 while the job runs");
    }

    /// <summary>Records one end-to-end latency.</summary>
    public void Record(TimeSpan latency)
    {
        var ms = Math.Max(0, latency.TotalMilliseconds);
        _latency.Record(ms);
        _recorder.RecordValue(Math.Clamp((long)(ms * 1000), 1, TimeSpan.FromHours(1).Ticks / 10));
    }

    /// <summary>Closes the current latency window (called once per sample interval); percentiles cover the last 60.</summary>
    public void RotateLatencyWindow()
    {
        var h = _recorder.GetIntervalHistogram();
        lock (_lock)
        {
            _windows.Enqueue(h);
            while (_windows.Count > LatencyWindows) _windows.Dequeue();
        }
    }

    public LatencyPercentiles? Latency()
    {
        var sum = new LongHistogram(1, TimeSpan.FromHours(1).Ticks / 10, 3);
        lock (_lock) foreach (var w in _windows) sum.Add(w);
        if (sum.TotalCount == 0) return null;
        static double Ms(long micros) => micros / 1000.0;
        return new LatencyPercentiles(sum.TotalCount, Ms(sum.GetValueAtPercentile(50)), Ms(sum.GetValueAtPercentile(95)),
            Ms(sum.GetValueAtPercentile(99)), Ms(sum.GetValueAtPercentile(99.9)), Ms(sum.GetMaxValue()));
    }

    private static IEnumerable<Measurement<T>> PerTask<T>(IJobRegistry jobs, Func<TaskCounters, T> value) where T : struct
    {
        foreach (var j in jobs.Jobs)
            foreach (var c in j.SampleTasks())
                yield return new Measurement<T>(value(c), Tags(j, c));
    }

    private static IEnumerable<Measurement<long>> WatermarkLags(IJobRegistry jobs)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var j in jobs.Jobs)
            foreach (var c in j.SampleTasks())
                if (JobMetricsSampler.Lag(c.Watermark, now) is { } lag)
                    yield return new Measurement<long>(lag, Tags(j, c));
    }

    private static KeyValuePair<string, object?>[] Tags(IJobHandle j, TaskCounters c) =>
    [
        new("job", j.Id), new("task", c.TaskId), new("operator", c.Name),
    ];

    public void Dispose() => _meter.Dispose();
}
