using System.CommandLine;
using System.Diagnostics;
using System.Text;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Cli;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Nexmark;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Bench;

/// <summary>
/// <c>recoflow-bench</c> (also <c>recoflow bench</c> from a checkout): runs each benchmark on the embedded runtime and as a
/// plain hand-written C# loop over the same in-memory events, alternating, and reports medians and the ratio. Rewrites
/// docs/benchmarks.md.
/// </summary>
public static class BenchCommand
{
    public static RootCommand Create(TextWriter output)
    {
        var quick = new Option<bool>("--quick") { Description = "fewer events and runs" };
        var doc = new Option<string?>("--doc") { Description = "markdown file to rewrite with the results (default: the repository's docs/benchmarks.md, wherever the bench runs from)", DefaultValueFactory = _ => DefaultDoc() };
        var kafkaOnly = new Option<bool>("--kafka-only") { Description = "run only the Kafka row (dev broker); prints it, leaves the doc alone" };
        var checkpointsOnly = new Option<bool>("--checkpoints-only") { Description = "run only the checkpoint rows (with the incremental ones); rewrites their sections of the doc" };
        var incrementalOnly = new Option<bool>("--incremental-only")
        {
            Description = "run only the incremental checkpoint rows (bytes written incremental vs full, the synchronous pause at 1M and 10M keys); rewrites their section of the doc",
        };
        var delivery = new Option<bool>("--delivery") { Description = "run only the event-to-screen rows (POST /collect to WebSocket push at 1,000 to 10,000 events/s, and the highest rate whose p99 stays under 100 ms); rewrites their section of the doc" };
        var only = new Option<string?>("--only")
        {
            Description = "run only these parts (comma-separated: engine, latency, memory, state-backends, recovery, peers, cluster, scale-out, reco, soak); rewrites their sections of the doc (engine: prints its rows only)",
        };
        var engineRows = new Option<string?>("--rows")
        {
            Description = "with --only engine: run only these engine rows (comma-separated: ysb, q0, q1, q2, q5, q7, q8), e.g. to profile one query",
        };
        var engineEvents = new Option<int?>("--events")
        {
            Description = "with --only engine: events per engine row (default 2,000,000; 500,000 with --quick); more events amortise each run's job start",
        };
        var cmd = new RootCommand("recoflow-bench: benchmark the engine against a hand-written loop; prints a table and rewrites docs/benchmarks.md") { quick, doc, kafkaOnly, checkpointsOnly, incrementalOnly, delivery, only, engineRows, engineEvents };
        cmd.Subcommands.Add(MemoryBench.PointCommand(output));
        cmd.Subcommands.Add(StateBackendBench.PointCommand(output));
        cmd.SetAction(async (r, ct) =>
        {
            BenchConditions.RequireOptimizedBuild();
            var isQuick = r.GetValue(quick);
            if (r.GetValue(only) is { } onlyList)
            {
                var parts = ParseList("--only", onlyList, Parts);
                var rowFilter = r.GetValue(engineRows) is { } rowList ? ParseList("--rows", rowList, EngineRowNames) : null;
                var events = r.GetValue(engineEvents);
                if (events is < 10_000) throw new UsageException($"--events must be at least 10000, got {events}");
                if ((rowFilter is not null || events is not null) && !parts.Contains("engine")) throw new UsageException("--rows and --events need --only engine");
                await RunPartsAsync(parts, isQuick, r.GetValue(doc), $"recoflow bench --only {string.Join(',', Parts.Where(parts.Contains))}{(isQuick ? " --quick" : "")}", output, ct, rowFilter, events);
                return 0;
            }
            if (r.GetValue(delivery))
            {
                var seconds = TimeSpan.FromSeconds(isQuick ? 5 : 15);
                var deliveryRows = new List<DeliveryBench.Row>();
                foreach (var rate in DeliveryBench.Rates)
                {
                    output.WriteLine($"delivery: {rate:N0} events/s for {seconds.TotalSeconds:0} s (after 5 s warm-up) ...");
                    deliveryRows.Add(await DeliveryBench.RunAsync(rate, seconds, TimeSpan.FromSeconds(5), ct));
                }
                var deliveryTable = DeliveryBench.Render(deliveryRows, "recoflow bench --delivery" + (isQuick ? " --quick" : ""));
                output.WriteLine(deliveryTable);
                if (r.GetValue(doc) is { } deliveryDoc) DeliveryBench.WriteSection(deliveryDoc, deliveryTable);
                return 0;
            }
            if (r.GetValue(kafkaOnly))
            {
                output.WriteLine(RenderKafka(await KafkaBench.RunAsync(isQuick, ct)));
                return 0;
            }
            if (r.GetValue(incrementalOnly))
            {
                var incremental = IncrementalCheckpointBench.Render(await IncrementalCheckpointBench.RunAsync(isQuick, ct));
                output.WriteLine(incremental);
                if (r.GetValue(doc) is { } incrementalDoc) WriteIncrementalSection(incrementalDoc, incremental, "recoflow bench --incremental-only" + (isQuick ? " --quick" : ""));
                return 0;
            }
            if (r.GetValue(checkpointsOnly))
            {
                var only = CheckpointBench.Render(await CheckpointBench.RunAsync(isQuick, ct));
                output.WriteLine(only);
                var incremental = IncrementalCheckpointBench.Render(await IncrementalCheckpointBench.RunAsync(isQuick, ct));
                output.WriteLine(incremental);
                if (r.GetValue(doc) is { } checkpointDoc)
                {
                    WriteCheckpointSection(checkpointDoc, only, "recoflow bench --checkpoints-only" + (isQuick ? " --quick" : ""));
                    WriteIncrementalSection(checkpointDoc, incremental, "recoflow bench --checkpoints-only" + (isQuick ? " --quick" : ""));
                }
                return 0;
            }
            if (r.GetValue(engineRows) is not null || r.GetValue(engineEvents) is not null) throw new UsageException("--rows and --events need --only engine");
            var rows = await EngineRowsAsync(isQuick, ct);
            var checkpoints = await CheckpointBench.RunAsync(isQuick, ct);
            var kafka = await KafkaBench.RunAsync(isQuick, ct);
            var table = Render(rows, isQuick) + "\n" + RenderKafka(kafka);
            var checkpointTable = CheckpointBench.Render(checkpoints);
            output.WriteLine(table);
            output.WriteLine(checkpointTable);
            var command = "recoflow bench" + (isQuick ? " --quick" : "");
            if (r.GetValue(doc) is { } path)
            {
                WriteDoc(path, table, isQuick);
                WriteCheckpointSection(path, checkpointTable, command);
            }
            await RunPartsAsync(Parts.Where(p => p != "engine").ToHashSet(), isQuick, r.GetValue(doc), command, output, ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>The engine rows, by the names <c>--rows</c> takes.</summary>
    private static readonly string[] EngineRowNames = ["ysb", "q0", "q1", "q2", "q5", "q7", "q8"];

    /// <summary>A comma-separated, case-insensitive selection out of <paramref name="allowed"/>; a usage error names the option otherwise.</summary>
    private static HashSet<string> ParseList(string option, string list, string[] allowed)
    {
        var items = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(p => p.ToLowerInvariant()).ToHashSet();
        if (items.Count == 0 || items.Except(allowed).FirstOrDefault() is { } unknown && unknown.Length > 0)
            throw new UsageException($"{option} takes a comma-separated list of {string.Join(", ", allowed)}; got '{list}'");
        return items;
    }

    /// <summary>YSB and the Nexmark queries on the embedded runtime (checkpoints off and on) against their hand-written loops.</summary>
    /// <param name="only">The rows to run (<see cref="EngineRowNames"/>); null for all.</param>
    /// <param name="eventsPerRow">Events per row; null for the default (2,000,000, or 500,000 when quick).</param>
    private static async Task<List<BenchRow>> EngineRowsAsync(bool quick, CancellationToken ct, HashSet<string>? only = null, int? eventsPerRow = null)
    {
        var rows = new List<BenchRow>();
        bool Wanted(string row) => only is null || only.Contains(row);
        var perRow = eventsPerRow ?? (quick ? 500_000 : 2_000_000);
        if (Wanted("ysb")) rows.Add(await YsbAsync(perRow, quick ? 2 : 5, quick, ct));
        if (!EngineRowNames.Skip(1).Any(Wanted)) return rows;
        var nexmarkEvents = perRow;
        var generator = new NexmarkGenerator(new NexmarkConfig());
        var events = new Event[nexmarkEvents];
        for (var i = 0; i < events.Length; i++) events[i] = generator.Generate(i);
        var runs = quick ? 2 : 5;
        if (Wanted("q0")) rows.Add(await NexmarkAsync(new Q0PassThrough(), events, e => NexmarkQueries.Q0(e).Count, runs, quick, 300_000, ct));
        if (Wanted("q1")) rows.Add(await NexmarkAsync(new Q1CurrencyConversion(), events, e => NexmarkQueries.Q1(e).Count, runs, quick, 300_000, ct));
        if (Wanted("q2")) rows.Add(await NexmarkAsync(new Q2Selection(), events, e => NexmarkQueries.Q2(e).Count, runs, quick, 300_000, ct));
        if (Wanted("q5")) rows.Add(await NexmarkAsync(new Q5HotItems(), events, e => NexmarkQueries.Q5(e).Count, runs, quick, 45_000, ct));
        if (Wanted("q7")) rows.Add(await NexmarkAsync(new Q7HighestBid(), events, e => NexmarkQueries.Q7(e).Count, runs, quick, 25_000, ct));
        if (Wanted("q8")) rows.Add(await NexmarkAsync(new Q8MonitorNewUsers(), events, e => NexmarkQueries.Q8(e).Count, runs, quick, 300_000, ct));
        return rows;
    }

    /// <summary>The parts <c>--only</c> selects, each with its own marked section of the doc (engine: printed only, its rows share a section with the Kafka row).</summary>
    private static readonly string[] Parts = ["engine", "peers", "latency", "memory", "state-backends", "recovery", "cluster", "scale-out", "reco", "soak"];

    private static async Task RunPartsAsync(HashSet<string> parts, bool quick, string? doc, string command, TextWriter output, CancellationToken ct, HashSet<string>? engineRows = null, int? engineEvents = null)
    {
        if (parts.Contains("engine")) output.WriteLine(Render(await EngineRowsAsync(quick, ct, engineRows, engineEvents), quick));
        (string Part, string Title, Func<Task<string>> Run)[] sections =
        [
            ("peers", "Peers: YSB on other stream processors", async () =>
                $"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}` ({Environment.ProcessorCount} cores; medians after one warm-up run, all peers alternating in one process):\n\n{PeerBench.Render(await PeerBench.RunAsync(quick, ct))}"),
            ("latency", "End-to-end latency at fixed rates through the development broker", async () => LatencyBench.Render(await LatencyBench.RunAsync(quick, output, ct), command)),
            ("memory", "Memory against keyed state size", async () => MemoryBench.Render(await MemoryBench.RunAsync(quick, output, ct), command)),
            ("state-backends", "Keyed state on the heap and in RocksDB: many distinct keys", async () => StateBackendBench.Render(await StateBackendBench.RunAsync(quick, output, ct), command)),
            ("recovery", "Recovery after kill -9 (one process)", async () => RecoveryBench.Render(await RecoveryBench.RunAsync(quick, output, ct), command)),
            ("cluster", "Cluster: one node against three, one cross-node channel, kill -9 of a worker", async () => ClusterBench.Render(await ClusterBench.RunAsync(quick, output, ct), command)),
            ("scale-out", "Scale-out: CPU per event of run, checkpointed run, one node and three nodes", async () => ScaleOutBench.Render(await ScaleOutBench.RunAsync(quick, output, ct), command)),
            ("reco", "Recommendation job: events per CPU-second, parallelism, catalogue size, recall, hand-written limit", async () => RecoBenchReport.Render(await RecoBench.RunAsync(quick, output, ct), command)),
            ("soak", "Soak: the recommendation job's state and memory over two million events", async () => SoakBench.Render(await SoakBench.RunAsync(quick, output, ct), command)),
        ];
        foreach (var (part, title, run) in sections)
        {
            if (!parts.Contains(part)) continue;
            var section = await run();
            output.WriteLine(section);
            if (doc is not null) BenchDoc.WriteSection(doc, part, section, title);
        }
    }

    /// <param name="CheckpointedEventsPerSecond">The same job with exactly-once checkpoints (SQLite store) at <see cref="CheckpointInterval"/>.</param>
    /// <param name="CheckpointedEventsPerCpuSecond">Events per second of process CPU time in the checkpointed run: throughput per core.</param>
    /// <param name="Checkpoints">Checkpoints completed per checkpointed run (median), the final one included.</param>
    /// <param name="TargetPerCore">The issue's target in events/s per core with checkpointing, null when it sets none per core.</param>
    /// <param name="EngineRange">Lowest and highest events/s of the runs with checkpoints off (the median is <see cref="EngineEventsPerSecond"/>).</param>
    /// <param name="PerCpuRange">Lowest and highest events per CPU-second of the checkpointed runs.</param>
    /// <param name="Runs">Measured runs (after one warm-up run).</param>
    public sealed record BenchRow(string Name, long Events, double EngineEventsPerSecond, double LoopEventsPerSecond,
        double CheckpointedEventsPerSecond, double CheckpointedEventsPerCpuSecond, double Checkpoints, double? TargetPerCore,
        (double Min, double Max) EngineRange = default, (double Min, double Max) PerCpuRange = default, int Runs = 0)
    {
        public double Ratio => LoopEventsPerSecond / EngineEventsPerSecond;
    }

    /// <summary>Checkpoint interval of the checkpointed runs: 1 s; 200 ms in quick mode, whose runs last well under a second.</summary>
    private static TimeSpan CheckpointInterval(bool quick) => quick ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(1);

    /// <summary>One engine run: wall seconds, process CPU seconds, completed checkpoints (the last id of a fresh job key).</summary>
    private static Task<(double Seconds, double CpuSeconds, long Checkpoints)> RunEngineAsync(LocalRuntime runtime, Api.Graph.JobGraph graph, TimeSpan? checkpoints, CancellationToken ct) =>
        MeasureAsync(runtime, graph, checkpoints is { } interval
            ? new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = interval, MinPause = TimeSpan.Zero }, JobKey = $"{graph.Name}-{Guid.NewGuid():N}" }
            : null, ct);

    /// <summary>Runs <paramref name="graph"/> to its end: wall seconds, process CPU seconds (all threads) and the last completed checkpoint.</summary>
    internal static async Task<(double Seconds, double CpuSeconds, long Checkpoints)> MeasureAsync(LocalRuntime runtime, Api.Graph.JobGraph graph, JobRunOptions? options, CancellationToken ct)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var result = await runtime.Submit(graph, options).WaitAsync(ct);
        var seconds = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (seconds, (process.TotalProcessorTime - cpu).TotalSeconds, result.LastCheckpoint ?? 0);
    }

    private static Task<BenchRow> YsbAsync(int n, int runs, bool quick, CancellationToken ct)
    {
        var table = YsbData.Campaigns();
        var campaigns = table.ToDictionary(t => t.Ad, t => t.Campaign);
        var events = YsbData.Generate(n, 1, table).ToArray();
        return MeasureAsync("YSB (in-memory)", n, runs, quick, null,
            () => YsbData.ExpectedCounts(events, campaigns, 10_000, 5_000).Count,
            () =>
            {
                var job = new StreamJob("ysb-bench");
                var sink = new CountingSink<YsbResult>();
                var (_, windows) = YsbJob.Pipeline(job, new CollectionSource<YsbEvent>(events), () => campaigns, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));
                windows.SinkTo(sink);
                return (job.Build(), () => sink.Count);
            }, ct);
    }

    /// <summary>A Nexmark query over pre-generated in-memory events, against its hand-written loop; both must agree on the result count.</summary>
    private static Task<BenchRow> NexmarkAsync<TResult>(NexmarkQuery<TResult> query, Event[] events, Func<Event[], int> loopQuery, int runs, bool quick, double targetPerCore, CancellationToken ct)
    {
        var parameters = query.ParseParameters(new Dictionary<string, string>());
        return MeasureAsync($"{query.Name} (in-memory)", events.Length, runs, quick, targetPerCore,
            () => loopQuery(events),
            () =>
            {
                var job = new StreamJob(query.Name + "-bench");
                var sink = new CountingSink<TResult>();
                var stream = job.FromSource(new CollectionSource<Event>(events, static e => e.DateTime), Api.Time.WatermarkStrategy<Event>.ForMonotonousTimestamps(), "events");
                query.Apply(stream, parameters).SinkTo(sink);
                return (job.Build(), () => sink.Count);
            }, ct);
    }

    /// <summary>
    /// One row: per run (after a warm-up run) the hand-written loop, the job with checkpoints off and the job with
    /// checkpoints on, alternating; every engine run must produce as many results as the loop.
    /// </summary>
    /// <param name="loop">The hand-written loop; returns its result count.</param>
    /// <param name="build">A fresh job graph and the count of results its sink received.</param>
    private static async Task<BenchRow> MeasureAsync(string name, long events, int runs, bool quick, double? targetPerCore,
        Func<long> loop, Func<(Api.Graph.JobGraph Graph, Func<long> Results)> build, CancellationToken ct)
    {
        var engine = new List<double>();
        var loops = new List<double>();
        var checkpointed = new List<double>();
        var perCpu = new List<double>();
        var checkpointCounts = new List<double>();
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-").FullName;
        try
        {
            await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(dir, "checkpoints.db")));
            for (var i = 0; i < runs + 1; i++)
            {
                ct.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                var expected = loop();
                var loopSeconds = sw.Elapsed.TotalSeconds;
                var results = new List<(double Seconds, double CpuSeconds, long Checkpoints)>();
                foreach (var interval in new TimeSpan?[] { null, CheckpointInterval(quick) })
                {
                    var (graph, count) = build();
                    results.Add(await RunEngineAsync(runtime, graph, interval, ct));
                    if (count() != expected) throw new InvalidOperationException($"{name} bench: engine produced {count()} results, the loop {expected}");
                }
                if (i == 0) continue; // warm-up
                loops.Add(events / loopSeconds);
                engine.Add(events / results[0].Seconds);
                checkpointed.Add(events / results[1].Seconds);
                perCpu.Add(events / results[1].CpuSeconds);
                checkpointCounts.Add(results[1].Checkpoints);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return new BenchRow(name, events, BenchDoc.Median(engine), BenchDoc.Median(loops), BenchDoc.Median(checkpointed), BenchDoc.Median(perCpu),
            BenchDoc.Median(checkpointCounts), targetPerCore, (engine.Min(), engine.Max()), (perCpu.Min(), perCpu.Max()), engine.Count);
    }

    private static string Render(IEnumerable<BenchRow> rows, bool quick)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Conditions: {BenchConditions.Describe()}. Each figure is the median of the runs after one warm-up run; the range in brackets is the lowest and highest run.");
        sb.AppendLine();
        sb.AppendLine($"| benchmark | events | runs | RecoFlow events/s, checkpoints off (range) | checkpoints on ({(quick ? "200 ms" : "1 s")}): events/s | checkpoints per run | events per CPU-second (per core), checkpoints on (range) | target per core | hand-written loop events/s | loop / RecoFlow (off) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            sb.AppendLine($"| {r.Name} | {r.Events:N0} | {r.Runs} | {r.EngineEventsPerSecond:N0} ({Short(r.EngineRange.Min)}–{Short(r.EngineRange.Max)}) | {r.CheckpointedEventsPerSecond:N0} | {r.Checkpoints:N0} | {r.CheckpointedEventsPerCpuSecond:N0} ({Short(r.PerCpuRange.Min)}–{Short(r.PerCpuRange.Max)}) | {(r.TargetPerCore is { } t ? $"{t:N0}" : "1M/s in-process")} | {r.LoopEventsPerSecond:N0} | {r.Ratio:F1}x |");
        return sb.ToString();
    }

    /// <summary>1.23M, 456k: a range bound short enough to sit beside its median.</summary>
    private static string Short(double v) => v >= 1e6 ? $"{v / 1e6:0.00}M" : v >= 1e3 ? $"{v / 1e3:0}k" : $"{v:0}";

    private static string RenderKafka(KafkaBench.Result r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| benchmark | events | events/s (read to the end, median) | live rate | windows / results measured | latency p50 | latency p99 | latency max |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        sb.AppendLine($"| {r.Name} | {r.Events:N0} | {r.EventsPerSecond:N0} | {r.LatencyRate:N0}/s | {r.Windows:N0} / {r.LatencySamples:N0} | {r.P50Ms:F0} ms | {r.P99Ms:F0} ms | {r.MaxMs:F0} ms |");
        return sb.ToString();
    }

    /// <summary>The checkpoint tables have their own section, so <c>--checkpoints-only</c> can refresh them alone.</summary>
    private static void WriteCheckpointSection(string path, string table, string command) =>
        BenchDoc.WriteSection(path, "checkpoints",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}` ({Environment.ProcessorCount} cores; medians after one warm-up run, checkpoints on and off alternating in one process):\n\n{table}",
            "The cost of exactly-once: checkpoints on and off");

    /// <summary>The incremental checkpoint tables: bytes written incremental against full, and the synchronous pause.</summary>
    private static void WriteIncrementalSection(string path, string table, string command) =>
        BenchDoc.WriteSection(path, "incremental-checkpoints",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}` ({Environment.ProcessorCount} cores; the three jobs one after the other in one process, SQLite store, checkpoints every second; the pauses on the heap backend directly, on the same thread):\n\n{table}",
            "Incremental checkpoints: bytes written and the synchronous pause");

    private static void WriteDoc(string path, string table, bool quick) =>
        BenchDoc.WriteSection(path, "bench",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} with `recoflow bench{(quick ? " --quick" : "")}` ({Environment.ProcessorCount} cores; medians after one warm-up run, engine and loop alternating in one process):\n\n{table}");

    /// <summary>Counts records and drops them: measures the engine, not I/O.</summary>
    private sealed class CountingSink<T> : ISink<T>
    {
        private long _count;
        public long Count => Interlocked.Read(ref _count);
        public ISinkWriter<T> CreateWriter(SinkContext context) => new Writer(this);
        public string Describe() => "counting sink";

        private sealed class Writer(CountingSink<T> owner) : ISinkWriter<T>
        {
            private long _n;
            public void Write(T value, long timestamp) => _n++;
            public void Flush(bool endOfInput) { Interlocked.Add(ref owner._count, _n); _n = 0; }
            public void Dispose() { }
        }
    }

    /// <summary>The repository's docs/benchmarks.md (found from the bench's own binaries), so a run from any working directory writes it; docs/benchmarks.md under the working directory outside a checkout.</summary>
    private static string DefaultDoc()
    {
        try { return Path.Combine(RecoFlow.Testing.RepositoryData.Root(), "docs", "benchmarks.md"); }
        catch (DirectoryNotFoundException) { return Path.Combine("docs", "benchmarks.md"); }
    }
}
