using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Runtime;

namespace RecoFlow.Bench;

/// <summary>
/// <c>recoflow bench --only state-backends</c>: a YSB-like keyed count over many distinct keys on the heap and on the
/// RocksDB backend, side by side. Each row runs in a fresh <c>recoflow-bench</c> process (the hidden
/// <c>state-backend-point</c>), so its peak working set is its own: a bounded source emits two events per key in a
/// scrambled order, key-by, count per key (reduce), discard; the row reports events per second from submit to the end
/// of the job and the process's peak working set.
/// </summary>
internal static class StateBackendBench
{
    public sealed record Point(string Backend, long Keys, long Events, double Seconds, long PeakWorkingSetBytes)
    {
        public double EventsPerSecond => Events / Seconds;
    }

    public static async Task<IReadOnlyList<Point>> RunAsync(bool quick, TextWriter log, CancellationToken ct)
    {
        var keys = quick ? 5_000_000L : 50_000_000L;
        var points = new List<Point>();
        foreach (var backend in StateBackends.Names)
        {
            log.WriteLine($"state-backends: {backend}, {keys:N0} keys in a fresh process ...");
            points.Add(await SelfProcess.RunPointAsync<Point>(["state-backend-point", "--backend", backend, "--keys", keys.ToString(CultureInfo.InvariantCulture)], $"state backend point {backend}", ct));
        }
        return points;
    }

    /// <summary>The hidden child command: one row, printed as one JSON line.</summary>
    public static Command PointCommand(TextWriter output)
    {
        var backend = new Option<string>("--backend") { Required = true };
        var keys = new Option<long>("--keys") { Required = true };
        var cmd = new Command("state-backend-point", "one row of the state backend benchmark, in this process") { backend, keys };
        cmd.Hidden = true;
        cmd.SetAction(async (r, ct) =>
        {
            output.WriteLine(JsonSerializer.Serialize(await PointAsync(StateBackends.Parse(r.GetValue(backend)!), r.GetValue(keys), ct)));
            return 0;
        });
        return cmd;
    }

    private static async Task<Point> PointAsync(StateBackendKind backend, long keys, CancellationToken ct)
    {
        await using var runtime = LocalRuntime.Start();
        var events = 2 * keys;
        var job = new StreamJob("state-backend-bench").WithStateBackend(backend);
        job.FromSource(new ScrambledKeys(events, keys), WatermarkStrategy<long>.NoWatermarks(), "events")
            .KeyBy(k => k)
            .Reduce((a, b) => a + b, "count per key")
            .SinkTo(new CheckpointBench.DiscardSink<long>());
        var sw = Stopwatch.StartNew();
        var client = runtime.Submit(job.Build(), new JobRunOptions { JobKey = $"state-backend-bench-{Guid.NewGuid():N}" });
        var result = await client.Completion.WaitAsync(ct);
        sw.Stop();
        if (result.Failure is not null) throw new InvalidOperationException($"state backend bench job failed: {result.Failure.Message}");
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return new Point(StateBackends.NameOf(backend), keys, events, sw.Elapsed.TotalSeconds, self.PeakWorkingSet64);
    }

    /// <summary>Event i carries key (i × an odd constant) mod <c>keys</c>: every key about twice, in an order without locality.</summary>
    private sealed class ScrambledKeys(long events, long keys) : ISource<long>
    {
        public Boundedness Boundedness => Boundedness.Bounded;
        public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) => [new SourceSplit("events", 0)];
        public ISourceReader<long> CreateReader(SourceContext context) => new Reader(events, keys);
        public string Describe() => $"{events:N0} events over {keys:N0} keys";

        private sealed class Reader(long events, long keys) : ISourceReader<long>
        {
            private long _next;
            public void AddSplits(IReadOnlyList<SourceSplit> splits) { foreach (var s in splits) _next = s.Position; }

            public PollStatus Poll(ISourceOutput<long> output, int maxRecords)
            {
                var end = Math.Min(events, _next + maxRecords);
                for (; _next < end; _next++) output.Collect("events", (long)((ulong)_next * 0x9E3779B97F4A7C15UL % (ulong)keys), Watermark.NoTimestamp);
                return _next < events ? PollStatus.MoreAvailable : PollStatus.EndOfInput;
            }

            public IReadOnlyList<SourceSplit> SnapshotSplits() => [new SourceSplit("events", _next)];
            public void Dispose() { }
        }
    }

    public static string Render(IReadOnlyList<Point> points, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}` ({Environment.ProcessorCount} cores). One fresh `recoflow-bench` process per row, Release build; job: {points.FirstOrDefault()?.Events ?? 0:N0} events, two per key over {points.FirstOrDefault()?.Keys ?? 0:N0} distinct long keys in a scrambled order → key-by → count per key (reduce) → discard, parallelism 1, no checkpoints. **events/s** = events ÷ time from submit to the job's end (start-up included); **peak working set** = `Process.PeakWorkingSet64` of that process at the end (runtime and RocksDB's caches included).");
        sb.AppendLine();
        sb.AppendLine("| backend | keys | events/s | peak working set |");
        sb.AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var p in points)
            sb.AppendLine($"| {p.Backend} | {p.Keys:N0} | {p.EventsPerSecond:N0} | {p.PeakWorkingSetBytes / 1024.0 / 1024.0:F0} MiB |");
        return sb.ToString();
    }
}
