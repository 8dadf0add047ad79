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
/// per job dead letters, restarts, checkpoint counts and the newest checkpoint's duration and size, the end-to-end
/// latency histogram, and what the node's modules add on <see cref="Meter"/>. Latencies also go to an
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
        // Prometheus conventions (the exporter adds the unit and _total): seconds and bytes, and job_id/job_name labels,
        // since a label "job" would collide with the scrape target's own and be renamed exported_job.
        _latency = _meter.CreateHistogram("recoflow.latency", "s", "End-to-end latency: wall clock at the sink minus the event time the result stands for",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        JobInstruments.Register(_meter, jobs);
    }

    /// <summary>Latency buckets in seconds, 1 ms to a minute (OpenTelemetry's defaults are meant for milliseconds).</summary>
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Records one end-to-end latency.</summary>
    public void Record(TimeSpan latency)
    {
        var ms = Math.Max(0, latency.TotalMilliseconds);
        _latency.Record(ms / 1000.0);
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

    public void Dispose() => _meter.Dispose();
}
