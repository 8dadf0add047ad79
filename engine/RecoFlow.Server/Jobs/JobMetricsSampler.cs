using System.Collections.Concurrent;
using RecoFlow.ControlPlane;

namespace RecoFlow.Server.Jobs;

/// <summary>Rates of one task over the last sample interval (Flink's per-second task metrics).</summary>
/// <param name="WatermarkLagMs">Wall clock minus the task's watermark; null without a watermark.</param>
public sealed record TaskRates(
    TaskCounters Counters, double RecordsInPerSecond, double RecordsOutPerSecond,
    double BusyMsPerSecond, double IdleMsPerSecond, double BackpressuredMsPerSecond, long? WatermarkLagMs);

/// <summary>Job-wide throughput at one sample: records read by sources and written by sinks per second.</summary>
public sealed record ThroughputPoint(long TimeMs, double ReadPerSecond, double WrittenPerSecond);

/// <summary>
/// Samples every job's cumulative task counters each interval and turns the differences into per-second rates
/// (Flink: numRecordsInPerSecond, busyTimeMsPerSecond, idleTimeMsPerSecond, backPressuredTimeMsPerSecond). Idle time
/// is what remains of the task's running time once busy and backpressured time are taken out. Keeps a bounded
/// throughput history per job for the dashboard's charts. Thread-safe; driven by <see cref="Tick"/>.
/// </summary>
public sealed class JobMetricsSampler
{
    private readonly IJobRegistry _registry;
    private readonly int _historyLength;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, JobSamples> _jobs = new();

    public JobMetricsSampler(IJobRegistry registry, TimeSpan interval, TimeSpan history, TimeProvider? time = null)
    {
        _registry = registry;
        _time = time ?? TimeProvider.System;
        _historyLength = Math.Max(2, (int)Math.Ceiling(history / interval));
    }

    /// <summary>Raised after each sample (the node's latency recorder rotates its window on it).</summary>
    public event Action? Sampled;

    /// <summary>Takes one sample of every job.</summary>
    public void Tick()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var job in _registry.Jobs)
        {
            var samples = _jobs.GetOrAdd(job.Id, _ => new JobSamples(_historyLength));
            samples.Add(job.SampleTasks(), now);
        }
        Sampled?.Invoke();
    }

    /// <summary>Latest rates of the job's tasks; counters with zero rates before the second sample.</summary>
    public IReadOnlyList<TaskRates> Rates(IJobHandle job)
    {
        if (_jobs.TryGetValue(job.Id, out var s) && s.Latest is { } latest) return latest;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return job.SampleTasks().Select(c => new TaskRates(c, 0, 0, 0, 0, 0, JobInstruments.WatermarkLagMs(c.Watermark, now))).ToList();
    }

    public IReadOnlyList<ThroughputPoint> History(string jobId) => _jobs.TryGetValue(jobId, out var s) ? s.History : [];


    private sealed class JobSamples(int historyLength)
    {
        private readonly Lock _lock = new();
        private readonly Queue<ThroughputPoint> _history = new();
        private Dictionary<string, TaskCounters> _previous = [];
        private IReadOnlyList<TaskRates>? _latest;

        public IReadOnlyList<TaskRates>? Latest { get { lock (_lock) return _latest; } }
        public IReadOnlyList<ThroughputPoint> History { get { lock (_lock) return _history.ToArray(); } }

        public void Add(IReadOnlyList<TaskCounters> tasks, long nowMs)
        {
            lock (_lock)
            {
                var rates = new List<TaskRates>(tasks.Count);
                double read = 0, written = 0;
                var any = false;
                foreach (var c in tasks)
                {
                    if (!_previous.TryGetValue(c.TaskId, out var p))
                    {
                        rates.Add(new TaskRates(c, 0, 0, 0, 0, 0, JobInstruments.WatermarkLagMs(c.Watermark, nowMs)));
                        continue;
                    }
                    any = true;
                    var dt = (c.Running - p.Running).TotalSeconds;
                    if (dt <= 0)
                    {
                        rates.Add(new TaskRates(c, 0, 0, 0, 0, 0, JobInstruments.WatermarkLagMs(c.Watermark, nowMs)));
                        continue;
                    }
                    // Backpressured time is booked when the block ends, so one interval can carry more than it lasted.
                    var busy = Math.Clamp((c.Busy - p.Busy).TotalMilliseconds / dt, 0, 1000);
                    var bp = Math.Clamp((c.Backpressured - p.Backpressured).TotalMilliseconds / dt, 0, 1000 - busy);
                    var r = new TaskRates(c,
                        (c.RecordsIn - p.RecordsIn) / dt, (c.RecordsOut - p.RecordsOut) / dt,
                        busy, 1000 - busy - bp, bp, JobInstruments.WatermarkLagMs(c.Watermark, nowMs));
                    rates.Add(r);
                    read += (c.RecordsRead - p.RecordsRead) / dt;
                    written += (c.RecordsWritten - p.RecordsWritten) / dt;
                }
                _previous = tasks.ToDictionary(t => t.TaskId);
                _latest = rates;
                if (!any) return;
                _history.Enqueue(new ThroughputPoint(nowMs, read, written));
                while (_history.Count > historyLength) _history.Dequeue();
            }
        }
    }
}
