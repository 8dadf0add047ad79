using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Bench;

/// <summary>
/// Memory against keyed state size. Each point runs in a fresh <c>recoflow-bench</c> process (the hidden
/// <c>recoflow-bench memory-point --keys N</c>), so the process's peak working set belongs to that point alone: a job
/// counts per key over N distinct keys (key and count are longs) with checkpoints every second, waits until every key
/// is in state and one checkpoint holding them all completed, then reports the managed heap after a full blocking
/// compacting GC (with the job still holding its state) minus the same figure taken after the runtime started and
/// before the job, and the process's peak working set.
/// </summary>
internal static class MemoryBench
{
    public sealed record Point(long Keys, long HeapBeforeBytes, long HeapWithStateBytes, long PeakWorkingSetBytes, long GcCommittedBytes, long CheckpointBytes, double Seconds)
    {
        public long StateHeapBytes => HeapWithStateBytes - HeapBeforeBytes;
    }

    public static async Task<IReadOnlyList<Point>> RunAsync(bool quick, TextWriter log, CancellationToken ct)
    {
        long[] keys = quick ? [0, 10_000, 100_000, 1_000_000] : [0, 10_000, 100_000, 1_000_000, 4_000_000];
        var points = new List<Point>();
        foreach (var n in keys)
        {
            log.WriteLine($"memory: {n:N0} keys in a fresh process ...");
            points.Add(await SelfProcess.RunPointAsync<Point>(["memory-point", "--keys", n.ToString(CultureInfo.InvariantCulture)], $"memory point {n}", ct));
        }
        return points;
    }

    /// <summary>The hidden child command: one point, printed as one JSON line.</summary>
    public static Command PointCommand(TextWriter output)
    {
        var keys = new Option<long>("--keys") { Required = true };
        var cmd = new Command("memory-point", "one point of the memory benchmark, in this process") { keys };
        cmd.Hidden = true;
        cmd.SetAction(async (r, ct) =>
        {
            output.WriteLine(JsonSerializer.Serialize(await PointAsync(r.GetValue(keys), ct)));
            return 0;
        });
        return cmd;
    }

    private static async Task<Point> PointAsync(long n, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-memory").FullName;
        try
        {
            var sw = Stopwatch.StartNew();
            await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(dir, "checkpoints.db")));
            var before = LiveHeap();
            var job = new StreamJob("memory-bench");
            job.FromSource(new CheckpointBench.KeysThenIdle((int)n), WatermarkStrategy<long>.NoWatermarks(), "keys")
                .KeyBy(k => k)
                .Reduce((a, b) => a + b, "count per key")
                .SinkTo(new CheckpointBench.DiscardSink<long>());
            var client = runtime.Submit(job.Build(), new JobRunOptions
            {
                Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromMinutes(5) },
                JobKey = $"memory-bench-{Guid.NewGuid():N}",
            });
            try
            {
                DateTime? allIn = null;
                CheckpointRecord? full = null;
                while (full is null)
                {
                    ct.ThrowIfCancellationRequested();
                    await Task.Delay(50, ct);
                    if (client.Completion.IsCompleted) throw new InvalidOperationException($"memory bench job ended: {(await client.Completion).Failure?.Message}");
                    if (allIn is null && client.Metrics.Tasks.Sum(t => t.RecordsWritten) >= n) allIn = DateTime.UtcNow;
                    full = client.Metrics.Checkpoints.FirstOrDefault(c => c.Status == CheckpointStatus.Completed && allIn is not null && c.TriggeredAt > allIn);
                }
                var with = LiveHeap();
                var info = GC.GetGCMemoryInfo();
                using var self = Process.GetCurrentProcess();
                self.Refresh();
                return new Point(n, before, with, self.PeakWorkingSet64, info.TotalCommittedBytes, full.SizeBytes, sw.Elapsed.TotalSeconds);
            }
            finally
            {
                client.Cancel();
                await client.Completion;
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static long LiveHeap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;
    }

    public static string Render(IReadOnlyList<Point> points, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}` ({Environment.ProcessorCount} cores). One fresh `recoflow-bench` process per row (workstation GC, concurrent); job: N distinct long keys → key-by → count per key (reduce), checkpoints every 1 s (SQLite store). **state on the heap** = managed heap after a full blocking compacting GC with the job holding all keys (after one checkpoint of them completed) − the same before the job was submitted; **peak working set** = `Process.PeakWorkingSet64` of that process at that moment (runtime, Akka, the checkpoint's serialized copy and the SQLite store included); the 0-keys row is the fixed cost.");
        sb.AppendLine();
        sb.AppendLine("| keys | state on the heap | bytes per key (heap) | peak working set | peak working set − 0-keys row, per key | GC committed | checkpoint size |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var baseline = points.FirstOrDefault(p => p.Keys == 0);
        foreach (var p in points)
        {
            var perKey = p.Keys == 0 ? "–" : $"{(double)p.StateHeapBytes / p.Keys:F0} B";
            var wsPerKey = p.Keys == 0 || baseline is null ? "–" : $"{(double)(p.PeakWorkingSetBytes - baseline.PeakWorkingSetBytes) / p.Keys:F0} B";
            sb.AppendLine($"| {p.Keys:N0} | {Mib(p.StateHeapBytes)} | {perKey} | {Mib(p.PeakWorkingSetBytes)} | {wsPerKey} | {Mib(p.GcCommittedBytes)} | {Mib(p.CheckpointBytes)} |");
        }
        return sb.ToString();
    }

    private static string Mib(long bytes) => $"{bytes / 1024.0 / 1024.0:F1} MiB";
}
