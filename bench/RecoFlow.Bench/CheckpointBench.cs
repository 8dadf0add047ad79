using System.Diagnostics;
using System.Text;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Bench;

/// <summary>
/// The cost of exactly-once: YSB with checkpoints every second against checkpoints off (alternating runs in one
/// process, SQLite store), and one checkpoint of a job holding a large keyed state.
/// </summary>
public static class CheckpointBench
{
    public sealed record Result(long Events, double OffEventsPerSecond, double OnEventsPerSecond, int CheckpointsPerRun, double CheckpointMedianMs,
        long Keys, double LargeDurationMs, double LargeSyncMs, long LargeSizeBytes, double OffSteady, double OnSteady);

    public static async Task<Result> RunAsync(bool quick, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-ckpt").FullName;
        try
        {
            await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(dir, "checkpoints.db")));
            var baseEvents = 2_000_000;
            var repeats = quick ? 10 : 25;
            var n = (long)baseEvents * repeats;
            var runs = quick ? 2 : 4;
            var table = YsbData.Campaigns();
            var campaigns = table.ToDictionary(t => t.Ad, t => t.Campaign);
            var events = new Repeated(YsbData.Generate(baseEvents, 1, table).ToArray(), repeats);
            var off = new List<double>();
            var on = new List<double>();
            var offSteady = new List<double>();
            var onSteady = new List<double>();
            var completed = new List<int>();
            var durations = new List<double>();
            for (var i = 0; i < runs + 1; i++)
            {
                foreach (var checkpoints in new[] { false, true })
                {
                    ct.ThrowIfCancellationRequested();
                    var job = new StreamJob("ysb-bench");
                    var (_, results) = YsbJob.Pipeline(job, new CollectionSource<YsbEvent>(events), () => campaigns, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));
                    results.SinkTo(new DiscardSink<YsbResult>());
                    var options = checkpoints
                        ? new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromSeconds(1) }, JobKey = $"ysb-bench-{Guid.NewGuid():N}" }
                        : new JobRunOptions();
                    var sw = Stopwatch.StartNew();
                    var client = runtime.Submit(job.Build(), options);
                    // Steady state: the read rate between 10% and 90% of the input, sampled every 20 ms (job start-up,
                    // the store's recovery and the final checkpoint fall outside it; the total is reported too).
                    double? t10 = null, t90 = null;
                    while (!client.Completion.IsCompleted)
                    {
                        await Task.WhenAny(client.Completion, Task.Delay(20, ct));
                        var read = client.Metrics.Tasks.Sum(t => t.RecordsRead);
                        if (t10 is null && read >= n / 10) t10 = sw.Elapsed.TotalSeconds;
                        if (t90 is null && read >= n * 9 / 10) t90 = sw.Elapsed.TotalSeconds;
                    }
                    await client.WaitAsync(ct);
                    var seconds = sw.Elapsed.TotalSeconds;
                    if (i == 0) continue; // warm-up (JIT, store plugins)
                    (checkpoints ? on : off).Add(n / seconds);
                    if (t10 is { } a && t90 is { } b && b > a) (checkpoints ? onSteady : offSteady).Add(n * 0.8 / (b - a));
                    if (checkpoints)
                    {
                        var regular = client.Metrics.Checkpoints.Where(c => c.Status == CheckpointStatus.Completed && !c.IsFinal).ToList();
                        completed.Add(regular.Count);
                        durations.AddRange(regular.Select(c => c.DurationMs));
                    }
                }
            }
            var keys = quick ? 1_000_000 : 1_000_000;
            var (largeMs, largeSyncMs, largeBytes) = await LargeStateAsync(runtime, keys, ct);
            return new Result(n, BenchDoc.Median(off), BenchDoc.Median(on), completed.Count == 0 ? 0 : (int)BenchDoc.Median(completed.Select(c => (double)c).ToList()),
                durations.Count == 0 ? 0 : BenchDoc.Median(durations), keys, largeMs, largeSyncMs, largeBytes,
                offSteady.Count == 0 ? 0 : BenchDoc.Median(offSteady), onSteady.Count == 0 ? 0 : BenchDoc.Median(onSteady));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Counts per key over <paramref name="keys"/> distinct keys, then waits for a checkpoint that holds them all.</summary>
    private static async Task<(double DurationMs, double SyncMs, long Bytes)> LargeStateAsync(LocalRuntime runtime, int keys, CancellationToken ct)
    {
        var job = new StreamJob("state-bench");
        job.FromSource(new KeysThenIdle(keys), WatermarkStrategy<long>.NoWatermarks(), "keys")
            .KeyBy(k => k)
            .Reduce((a, b) => a + b, "count per key")
            .SinkTo(new DiscardSink<long>());
        var client = runtime.Submit(job.Build(), new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromMinutes(5) }, JobKey = $"state-bench-{Guid.NewGuid():N}" });
        try
        {
            DateTime? allRead = null;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                await Task.Delay(100, ct);
                if (client.Completion.IsCompleted) throw new InvalidOperationException($"state bench job ended: {(await client.Completion).Failure?.Message}");
                if (allRead is null && client.Metrics.Tasks.Sum(t => t.RecordsWritten) >= keys) allRead = DateTime.UtcNow;
                var full = client.Metrics.Checkpoints.FirstOrDefault(c => c.Status == CheckpointStatus.Completed && allRead is not null && c.TriggeredAt > allRead);
                if (full is not null) return (full.DurationMs, full.SyncMs, full.SizeBytes);
            }
        }
        finally
        {
            client.Cancel();
            await client.Completion;
        }
    }

    public static string Render(Result r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| YSB in-memory, " + r.Events.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " events | events/s, whole run | events/s, steady state (10%–90% of the input) | checkpoints per run | checkpoint duration (median) |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        sb.AppendLine($"| checkpoints off | {r.OffEventsPerSecond:N0} | {r.OffSteady:N0} | – | – |");
        sb.AppendLine($"| checkpoints every 1 s (SQLite store) | {r.OnEventsPerSecond:N0} | {r.OnSteady:N0} | {r.CheckpointsPerRun} | {r.CheckpointMedianMs:F0} ms |");
        sb.AppendLine($"| slowdown | {(1 - r.OnEventsPerSecond / r.OffEventsPerSecond) * 100:F1}% | {(r.OffSteady > 0 ? (1 - r.OnSteady / r.OffSteady) * 100 : 0):F1}% | | |");
        sb.AppendLine();
        sb.AppendLine("| keyed state | checkpoint size | checkpoint duration | of which synchronous (state copied to bytes) |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine($"| {r.Keys:N0} keys (count per key) | {r.LargeSizeBytes / 1024.0 / 1024.0:F1} MiB | {r.LargeDurationMs:F0} ms | {r.LargeSyncMs:F0} ms |");
        return sb.ToString();
    }

    /// <summary>The same events played several times, each pass later in event time: long runs without holding them all.</summary>
    private sealed class Repeated(YsbEvent[] events, int times) : IReadOnlyList<YsbEvent>
    {
        private readonly long _span = events.Max(e => e.EventTime) - events.Min(e => e.EventTime) + 60_000;
        public int Count => events.Length * times;
        public YsbEvent this[int index] => index < events.Length ? events[index] : events[index % events.Length] with { EventTime = events[index % events.Length].EventTime + index / events.Length * _span };
        public IEnumerator<YsbEvent> GetEnumerator() { for (var i = 0; i < Count; i++) yield return this[i]; }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Emits 0..n-1 once, then stays open without data (an unbounded source that went quiet).</summary>
    internal sealed class KeysThenIdle(int n) : ISource<long>
    {
        public Boundedness Boundedness => Boundedness.Unbounded;
        public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) => [new SourceSplit("keys", 0)];
        public ISourceReader<long> CreateReader(SourceContext context) => new Reader(n);
        public string Describe() => $"{n:N0} keys, then idle";

        private sealed class Reader(int n) : ISourceReader<long>
        {
            private long _next;
            public void AddSplits(IReadOnlyList<SourceSplit> splits) { foreach (var s in splits) _next = s.Position; }

            public PollStatus Poll(ISourceOutput<long> output, int maxRecords)
            {
                var end = Math.Min(n, _next + maxRecords);
                for (; _next < end; _next++) output.Collect("keys", _next, Watermark.NoTimestamp);
                return _next < n ? PollStatus.MoreAvailable : PollStatus.NothingAvailable;
            }

            public IReadOnlyList<SourceSplit> SnapshotSplits() => [new SourceSplit("keys", _next)];
            public void Dispose() { }
        }
    }

    internal sealed class DiscardSink<T> : ISink<T>
    {
        public ISinkWriter<T> CreateWriter(SinkContext context) => new Writer();
        public string Describe() => "discard";

        private sealed class Writer : ISinkWriter<T>
        {
            public void Write(T value, long timestamp) { }
            public void Flush(bool endOfInput) { }
            public void Dispose() { }
        }
    }
}
