using HdrHistogram;

namespace RecoFlow.Recommendations.Cli.Demo;

/// <summary>Latencies (microseconds, HdrHistogram) of the current interval and since the start; thread-safe.</summary>
public sealed class LatencyWindow
{
    private const long Highest = 3_600_000_000; // one hour in microseconds
    private readonly object _gate = new();
    private LongHistogram _interval = New();
    private readonly LongHistogram _total = New();

    private static LongHistogram New() => new(1, Highest, 3);

    public void Record(TimeSpan latency)
    {
        var us = Math.Clamp((long)(latency.TotalMilliseconds * 1000), 1, Highest);
        lock (_gate)
        {
            _interval.RecordValue(us);
            _total.RecordValue(us);
        }
    }

    /// <summary>The interval's histogram; a new interval starts.</summary>
    public HistogramBase Rotate()
    {
        lock (_gate)
        {
            var done = _interval;
            _interval = New();
            return done;
        }
    }

    public HistogramBase Total()
    {
        lock (_gate) return _total.Copy();
    }

    public static double Ms(HistogramBase h, double percentile) => h.TotalCount == 0 ? double.NaN : h.GetValueAtPercentile(percentile) / 1000.0;
}
