using System.Diagnostics;
using System.Text;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.KeyGroups;
using RecoFlow.Runtime.State;

namespace RecoFlow.Bench;

/// <summary>
/// Incremental against full checkpoints: (1) a job holding many keys of which few change, with checkpoints every
/// second, incremental and full side by side in one process (bytes written per checkpoint, what a restore reads,
/// synchronous part); (2) the synchronous part of one subtask's snapshot (state copied to bytes while the task
/// pauses) with 1M and 10M keys, full and incremental, on the heap backend directly.
/// </summary>
public static class IncrementalCheckpointBench
{
    /// <param name="Materialised">Checkpoints among those measured that closed a chain (wrote at least half the state they restore).</param>
    public sealed record JobRow(string Mode, long Keys, int UpdatesPerSecond, double WrittenBytes, double RestoreBytes, double SyncMs, double MaxSyncMs, double DurationMs, int Checkpoints,
        int Materialised, double MaterialisedMaxSyncMs, double MaterialisedDurationMs);

    public sealed record PauseRow(long Keys, int Changed, double FullMs, long FullBytes, double IncrementalMs, long IncrementalBytes);

    public sealed record Result(IReadOnlyList<JobRow> Jobs, IReadOnlyList<PauseRow> Pauses);

    public static async Task<Result> RunAsync(bool quick, CancellationToken ct)
    {
        var jobs = new List<JobRow>();
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-incr").FullName;
        try
        {
            await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(dir, "checkpoints.db")));
            var keys = 1_000_000;
            foreach (var incremental in new[] { true, false })
                jobs.Add(await JobAsync(runtime, incremental, null, keys, updatesPerSecond: 10_000, checkpoints: quick ? 4 : 8, ct));
            // Chains of four rows, so that every fourth checkpoint is materialised from the chain (off the task thread).
            jobs.Add(await JobAsync(runtime, true, 4, quick ? keys : 10_000_000, updatesPerSecond: 10_000, checkpoints: quick ? 8 : 12, ct));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        var pauses = new List<PauseRow>();
        foreach (var keys in quick ? new[] { 1_000_000 } : [1_000_000, 10_000_000])
        {
            ct.ThrowIfCancellationRequested();
            pauses.Add(Pause(keys, changed: 10_000));
            GC.Collect();
        }
        return new Result(jobs, pauses);
    }

    /// <summary>Counts per key: <paramref name="keys"/> keys once, then updates to 10,000 hot keys at a steady rate; the checkpoints after the load are measured.</summary>
    private static async Task<JobRow> JobAsync(LocalRuntime runtime, bool incremental, int? fullEvery, int keys, int updatesPerSecond, int checkpoints, CancellationToken ct)
    {
        var job = new StreamJob("incremental-bench");
        job.FromSource(new KeysThenTrickle(keys, 10_000, updatesPerSecond), WatermarkStrategy<long>.NoWatermarks(), "keys")
            .KeyBy(k => k)
            .Reduce((a, b) => a + b, "count per key")
            .SinkTo(new CheckpointBench.DiscardSink<long>());
        var options = new CheckpointOptions { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromMinutes(5), Incremental = incremental };
        if (fullEvery is { } every) options = options with { FullEvery = every };
        var client = runtime.Submit(job.Build(), new JobRunOptions { Checkpoints = options, JobKey = $"incremental-bench-{Guid.NewGuid():N}" });
        try
        {
            DateTime? loaded = null;
            var deadline = DateTime.UtcNow.AddMinutes(10);
            while (DateTime.UtcNow < deadline)
            {
                ct.ThrowIfCancellationRequested();
                await Task.Delay(100, ct);
                if (client.Completion.IsCompleted) throw new InvalidOperationException($"incremental bench job ended: {(await client.Completion).Failure?.Message}");
                if (loaded is null && client.Metrics.Tasks.Sum(t => t.RecordsWritten) >= keys) loaded = DateTime.UtcNow;
                if (loaded is null) continue;
                // Skip the first checkpoint after the load (it holds the load itself), then measure the next ones.
                var after = client.Metrics.Checkpoints.Where(c => c.Status == CheckpointStatus.Completed && c.TriggeredAt > loaded).Skip(1).Take(checkpoints).ToList();
                if (after.Count < checkpoints) continue;
                var materialised = incremental ? after.Where(c => c.SizeBytes * 2 >= Math.Max(c.FullSizeBytes, c.SizeBytes)).ToList() : [];
                var mode = !incremental ? "full" : fullEvery is { } n ? $"incremental, a chain of {n} rows closed by a materialised one" : "incremental (default)";
                return new JobRow(mode, keys, updatesPerSecond,
                    after.Average(c => (double)c.SizeBytes), after.Average(c => (double)Math.Max(c.FullSizeBytes, c.SizeBytes)),
                    BenchDoc.Median(after.Select(c => c.SyncMs).ToList()), after.Max(c => c.SyncMs), BenchDoc.Median(after.Select(c => c.DurationMs).ToList()), after.Count,
                    materialised.Count, materialised.Count == 0 ? 0 : materialised.Max(c => c.SyncMs), materialised.Count == 0 ? 0 : BenchDoc.Median(materialised.Select(c => c.DurationMs).ToList()));
            }
            throw new TimeoutException("incremental bench: the checkpoints did not come within 10 minutes");
        }
        finally
        {
            client.Cancel();
            await client.Completion;
        }
    }

    /// <summary>
    /// One subtask's keyed state of <paramref name="keys"/> counters: the synchronous part of a full snapshot, and of an
    /// incremental one after <paramref name="changed"/> keys changed (median of 5), each including the encoding to bytes.
    /// </summary>
    private static PauseRow Pause(int keys, int changed)
    {
        var backend = new HeapKeyedStateBackend<long>(new KeyGroupRange(0, 127), 128, new FixedClock());
        var state = backend.GetValueState(new ValueStateDescriptor<long>("count"));
        for (long k = 0; k < keys; k++)
        {
            backend.CurrentKey = k;
            state.Update(k);
        }
        var fullMs = new List<double>();
        long fullBytes = 0;
        for (var i = 0; i < 2; i++)
        {
            var sw = Stopwatch.StartNew();
            fullBytes = Encode(backend.Snapshot(incremental: false)).Length;
            fullMs.Add(sw.Elapsed.TotalMilliseconds);
        }
        var incMs = new List<double>();
        long incBytes = 0;
        var random = new Random(7);
        for (var i = 0; i < 5; i++)
        {
            for (var c = 0; c < changed; c++)
            {
                backend.CurrentKey = random.NextInt64(keys);
                state.Update(state.Value + 1);
            }
            var sw = Stopwatch.StartNew();
            var snapshot = backend.Snapshot(incremental: true);
            incBytes = Encode(snapshot).Length;
            incMs.Add(sw.Elapsed.TotalMilliseconds);
            if (!snapshot.IsIncremental) throw new InvalidOperationException("the incremental snapshot fell back to a full one");
        }
        return new PauseRow(keys, changed, fullMs.Min(), fullBytes, BenchDoc.Median(incMs), incBytes);
    }

    private static byte[] Encode(KeyedStateSnapshot keyed) =>
        new TaskStateSnapshot { VertexUid = "bench", Operators = { ["count"] = new OperatorSnapshot { Keyed = keyed } } }.ToBytes();

    public static string Render(Result r)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| checkpoints of a job with many keys, few changing | keys | updates/s | bytes written per checkpoint (mean) | state it restores (full_size_bytes, mean) | written / restored | synchronous part (median / max) | duration (median) | checkpoints | of which materialised: synchronous part (max) / duration (median) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var j in r.Jobs)
            sb.AppendLine(string.Create(inv, $"| {j.Mode} | {j.Keys:N0} | {j.UpdatesPerSecond:N0} | {j.WrittenBytes / 1024.0:N0} KiB | {j.RestoreBytes / 1024.0:N0} KiB | {j.WrittenBytes / j.RestoreBytes * 100:F1}% | {j.SyncMs:F1} / {j.MaxSyncMs:F1} ms | {j.DurationMs:F0} ms | {j.Checkpoints} | {(j.Materialised == 0 ? "none" : $"{j.Materialised}: {j.MaterialisedMaxSyncMs:F1} ms / {j.MaterialisedDurationMs:F0} ms")} |"));
        if (r.Jobs.Count >= 2 && r.Jobs[1].WrittenBytes > 0)
            sb.AppendLine(string.Create(inv, $"| incremental / full, bytes written | | | {r.Jobs[0].WrittenBytes / r.Jobs[1].WrittenBytes * 100:F1}% | | | | | | |"));
        sb.AppendLine();
        sb.AppendLine("| synchronous part of one subtask's snapshot (heap backend) | keys | changed since the last snapshot | full: pause | full: bytes | incremental: pause (median of 5) | incremental: bytes |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var p in r.Pauses)
            sb.AppendLine(string.Create(inv, $"| counter per key | {p.Keys:N0} | {p.Changed:N0} | {p.FullMs:F0} ms | {p.FullBytes / 1024.0 / 1024.0:F1} MiB | {p.IncrementalMs:F1} ms | {p.IncrementalBytes / 1024.0:N0} KiB |"));
        return sb.ToString();
    }

    private sealed class FixedClock : IProcessingTimeService
    {
        public long CurrentProcessingTime => 0;
        public void RegisterTimer(long timestamp, Action<long> callback) { }
    }

    /// <summary>Emits 0..n-1 once, then updates to keys 0..hot-1 at <paramref name="perSecond"/> records per second.</summary>
    private sealed class KeysThenTrickle(int n, int hot, int perSecond) : ISource<long>
    {
        public Boundedness Boundedness => Boundedness.Unbounded;
        public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) => [new SourceSplit("keys", 0)];
        public ISourceReader<long> CreateReader(SourceContext context) => new Reader(n, hot, perSecond);
        public string Describe() => $"{n:N0} keys, then {perSecond:N0}/s over {hot:N0} of them";

        private sealed class Reader(int n, int hot, int perSecond) : ISourceReader<long>
        {
            private long _next;
            private Stopwatch? _trickle;
            private long _trickled;

            public void AddSplits(IReadOnlyList<SourceSplit> splits) { foreach (var s in splits) _next = s.Position; }

            public PollStatus Poll(ISourceOutput<long> output, int maxRecords)
            {
                if (_next < n)
                {
                    var end = Math.Min(n, _next + maxRecords);
                    for (; _next < end; _next++) output.Collect("keys", _next, Watermark.NoTimestamp);
                    return PollStatus.MoreAvailable;
                }
                _trickle ??= Stopwatch.StartNew();
                var due = Math.Min((long)(_trickle.Elapsed.TotalSeconds * perSecond) - _trickled, maxRecords);
                for (var i = 0; i < due; i++, _trickled++) output.Collect("keys", _trickled * 7919 % hot, Watermark.NoTimestamp);
                return due > 0 ? PollStatus.MoreAvailable : PollStatus.NothingAvailable;
            }

            public IReadOnlyList<SourceSplit> SnapshotSplits() => [new SourceSplit("keys", _next)];
            public void Dispose() { }
        }
    }
}
