using System.Diagnostics;
using System.Text;
using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Bench;

/// <summary>
/// <c>recoflow bench --only soak</c>: the recommendation job over a long synthetic log of a shop whose visitors come
/// and go (<see cref="OpenPopulationLog"/>: 2,000,000 events, 10,000 items, about 72,000 distinct users over 92 days of
/// event time), as fast as it goes, with checkpoints every second into SQLite. Every 100,000 lists it records the
/// process's resident memory, the managed heap after the last collection and the latest completed checkpoint (its
/// size and duration): with the job's bounds (users forgotten after <c>user-ttl</c>, seen items capped, windows bounded
/// by count and time) both must level off while the number of distinct users keeps growing. <c>--quick</c>: 500,000
/// events over the same span of event time.
/// </summary>
internal static class SoakBench
{
    public const int SampleEvery = 100_000;

    public sealed record Sample(long Events, long DistinctUsersAtMost, double ResidentMb, double HeapMb, long CheckpointId, double CheckpointMb, double CheckpointFullMb, double CheckpointMs, double Seconds);

    public sealed record Run(string Label, string UserTtl, List<Sample> Samples, double Seconds, double CpuSeconds, long Lists);

    public sealed record Result(string Conditions, string LoadAtEnd, int Events, IReadOnlyList<Run> Runs);

    public static async Task<Result> RunAsync(bool quick, TextWriter log, CancellationToken ct)
    {
        var conditions = BenchConditions.Describe();
        int events = quick ? 500_000 : 2_000_000;
        var logData = new OpenPopulationLog(events, 10_000);
        (string Label, string Ttl)[] configs = [("bounded (user-ttl 30d)", "30d")];
        var runs = new List<Run>();
        foreach (var (label, ttl) in configs)
        {
            ct.ThrowIfCancellationRequested();
            log.WriteLine($"soak: {events:N0} events, {label} ...");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var run = await RunJobAsync(logData, ttl, label, log, ct);
            runs.Add(run);
        }
        var loadAtEnd = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
        return new Result(conditions, loadAtEnd, events, runs);
    }

    private static async Task<Run> RunJobAsync(OpenPopulationLog data, string ttl, string label, TextWriter log, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-soak").FullName;
        try
        {
            await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(dir, "checkpoints.db")));
            var settings = RecommendationSettings.From(new JobParameters(new Dictionary<string, string> { ["user-ttl"] = ttl }, RecommendationSettings.Parameters));
            var job = new StreamJob("recommendations-soak");
            var source = job.FromSource(new CollectionSource<Interaction>(data, e => e.TimestampMs), WatermarkStrategy<Interaction>.ForMonotonousTimestamps(), "interactions");
            var sampler = new Sampler(log);
            RecommendationJob.Pipeline(source, () => data.Catalog, settings).Recommendations.SinkTo(new SamplingSink(sampler), "recommendations (sampled)");
            using var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            sampler.Start(sw);
            var client = runtime.Submit(job.Build(), new JobRunOptions { Checkpoints = new CheckpointOptions(), JobKey = $"recommendations-soak-{Guid.NewGuid():N}" });
            sampler.Client = client;
            await client.Completion.WaitAsync(ct);
            var seconds = sw.Elapsed.TotalSeconds;
            process.Refresh();
            return new Run(label, ttl, sampler.Samples, seconds, (process.TotalProcessorTime - cpu).TotalSeconds, sampler.Lists);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Takes a sample every <see cref="SampleEvery"/> lists, on the sink's thread.</summary>
    private sealed class Sampler(TextWriter log)
    {
        private Stopwatch _clock = new();
        private long _lists;
        public volatile JobClient? Client;
        public List<Sample> Samples { get; } = [];
        public long Lists => Interlocked.Read(ref _lists);

        public void Start(Stopwatch clock) => _clock = clock;

        public void Count()
        {
            long n = Interlocked.Increment(ref _lists);
            if (n % SampleEvery != 0) return;
            using var process = Process.GetCurrentProcess();
            var last = Client?.Metrics.LastCheckpoint;
            var sample = new Sample(n, OpenPopulationLog.DistinctUsersAtMost(n), process.WorkingSet64 / 1e6, GC.GetGCMemoryInfo().HeapSizeBytes / 1e6,
                last?.Id ?? 0, (last?.SizeBytes ?? 0) / 1e6, FullSize(last) / 1e6, last?.DurationMs ?? 0, _clock.Elapsed.TotalSeconds);
            lock (Samples) Samples.Add(sample);
            log.WriteLine($"soak:   {n:N0} lists: resident {sample.ResidentMb:N0} MB, heap {sample.HeapMb:N0} MB, checkpoint {sample.CheckpointId} {sample.CheckpointMb:N1} MB written ({sample.CheckpointFullMb:N1} MB state) in {sample.CheckpointMs:N0} ms");
        }

        private static double FullSize(CheckpointRecord? record) => record is null ? 0 : Math.Max(record.FullSizeBytes, record.SizeBytes);
    }

    private sealed class SamplingSink(Sampler sampler) : ISink<Recommendation>
    {
        public ISinkWriter<Recommendation> CreateWriter(SinkContext context) => new Writer(sampler);
        public string Describe() => "JSON lines, sampled";

        private sealed class Writer(Sampler sampler) : ISinkWriter<Recommendation>
        {
            public void Write(Recommendation value, long timestamp)
            {
                _ = RecommendationJob.ToJson(value);
                sampler.Count();
            }

            public void Flush(bool endOfInput) { }
            public void Dispose() { }
        }
    }

    public static string Render(Result r, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}`. Conditions: {r.Conditions}; load average {r.LoadAtEnd} at the end. " +
            $"The recommendation job (parallelism 1, checkpoints every 1 s into SQLite, exactly-once) over {r.Events:N0} events of `OpenPopulationLog` " +
            $"(10,000 items; a new visitor every {OpenPopulationLog.ArrivalEverySessions} sessions of {OpenPopulationLog.SessionLength} events, each back for about four sessions; " +
            $"{OpenPopulationLog.Span.TotalDays:N0} days of event time), as fast as it goes; a sample every {SampleEvery:N0} lists (one list per event).");
        foreach (var run in r.Runs)
        {
            sb.AppendLine();
            sb.AppendLine($"**{run.Label}**: {run.Lists:N0} lists in {run.Seconds:N0} s ({run.Lists / run.Seconds:N0} events/s, {run.Lists / run.CpuSeconds:N0} per CPU-second).");
            sb.AppendLine();
            sb.AppendLine("| events | distinct users so far (at most) | resident MB | managed heap MB | last checkpoint | written MB | state MB | duration ms |");
            sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var s in run.Samples)
                sb.AppendLine($"| {s.Events:N0} | {s.DistinctUsersAtMost:N0} | {s.ResidentMb:N0} | {s.HeapMb:N0} | {s.CheckpointId} | {s.CheckpointMb:N1} | {s.CheckpointFullMb:N1} | {s.CheckpointMs:N0} |");
            if (run.Samples.Count >= 4)
            {
                var half = run.Samples[run.Samples.Count / 2];
                var end = run.Samples[^1];
                sb.AppendLine();
                sb.AppendLine($"Second half ({half.Events:N0} → {end.Events:N0} events, distinct users {Growth(half.DistinctUsersAtMost, end.DistinctUsersAtMost)}): " +
                    $"state {Growth(half.CheckpointFullMb, end.CheckpointFullMb)}, managed heap {Growth(half.HeapMb, end.HeapMb)}, resident memory {Growth(half.ResidentMb, end.ResidentMb)}.");
            }
        }
        return sb.ToString();
    }

    private static string Growth(double from, double to) => from <= 0 ? "–" : $"{(to / from - 1) * 100:+0;-0} %";
}
