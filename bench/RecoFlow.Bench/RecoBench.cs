using System.Diagnostics;
using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Recommendations.Cli;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Testing;

namespace RecoFlow.Bench;

/// <summary>
/// <c>recoflow bench --only reco</c>: the recommendation job itself. Per round, in this order and alternating so machine
/// noise hits all alike: the hand-written loop (<see cref="RecoLoop"/>) over MovieLens latest-small, the whole job over
/// it at parallelism 1 (checkpoints every 1 s, every 10 s, and none) and 2 (every 1 s; SQLite store), and the job over two synthetic logs of the same size
/// with 10,000 and 100,000 items (<see cref="SyntheticInteractions"/>). Then recall@10 of <c>recoflow evaluate</c> on
/// MovieLens. Rendering: <see cref="RecoBenchReport"/>.
/// </summary>
internal static class RecoBench
{
    public const int SyntheticUsers = 20_000;
    public const string Cold = "movielens-p1-cold", Loop = "loop", P1 = "movielens-p1", P1Checkpoints10s = "movielens-p1-checkpoints-10s", P1NoCheckpoints = "movielens-p1-no-checkpoints", P2 = "movielens-p2", Items10k = "synthetic-10k", Items100k = "synthetic-100k";

    /// <summary>
    /// One run: wall and process CPU seconds from submit (or the loop's start) to the end, lists emitted, checkpoints
    /// completed, the collections in the process meanwhile, and for the job on MovieLens the recall@10 of the lists it
    /// served (<see cref="ListRecall"/>).
    /// </summary>
    public sealed record Sample(double Seconds, double CpuSeconds, long Lists, long Checkpoints, GcCounts Collections, double? ServedRecall = null);

    /// <summary>A configuration's runs, by round.</summary>
    public sealed record Series(string Name, long Events, List<Sample> Runs)
    {
        public double EventsPerSecond => BenchDoc.Median(Runs.Select(r => Events / r.Seconds).ToList());
        public double EventsPerCpuSecond => BenchDoc.Median(Runs.Select(r => Events / r.CpuSeconds).ToList());
        public double CpuSeconds => BenchDoc.Median(Runs.Select(r => r.CpuSeconds).ToList());
        public double Checkpoints => BenchDoc.Median(Runs.Select(r => (double)r.Checkpoints).ToList());
        public double? ServedRecall => Runs.All(r => r.ServedRecall is not null) && Runs.Count > 0 ? BenchDoc.Median(Runs.Select(r => r.ServedRecall!.Value).ToList()) : null;
        public (double Min, double Max) WallRange => (Runs.Min(r => Events / r.Seconds), Runs.Max(r => Events / r.Seconds));
        public (double Min, double Max) CpuRange => (Runs.Min(r => Events / r.CpuSeconds), Runs.Max(r => Events / r.CpuSeconds));
    }

    public sealed record Result(string Conditions, string LoadAtEnd, int Rounds, IReadOnlyDictionary<string, Series> Series,
        EvaluateCommand.Report Recall, long EvaluatedEvents);

    public static async Task<Result> RunAsync(bool quick, TextWriter log, CancellationToken ct)
    {
        var conditions = BenchConditions.Describe();
        var data = RepositoryData.MovieLensDir();
        var ratingsPath = Path.Combine(data, "ratings.csv");
        var movies = MovieLensLoader.LoadMovies(Path.Combine(data, "movies.csv"));
        var ratings = ParseRatings(ratingsPath);
        var settings = JobDefaults();
        int synthetic = quick ? 200_000 : 1_000_000, rounds = quick ? 1 : 3;
        log.WriteLine($"reco: generating two synthetic logs of {synthetic:N0} events ({SyntheticUsers:N0} users; 10,000 and 100,000 items) ...");
        var (small, smallCatalog) = SyntheticInteractions.Generate(synthetic, 10_000, SyntheticUsers);
        var (large, largeCatalog) = SyntheticInteractions.Generate(synthetic, 100_000, SyntheticUsers);
        var every1s = new CheckpointOptions();
        (string Name, Interaction[] Events, ItemCatalog Catalog, int Parallelism, CheckpointOptions? Checkpoints)[] configs =
        [
            (Loop, ratings, movies, 0, null), (P1, ratings, movies, 1, every1s),
            (P1Checkpoints10s, ratings, movies, 1, new CheckpointOptions { Interval = TimeSpan.FromSeconds(10) }), (P1NoCheckpoints, ratings, movies, 1, null),
            (P2, ratings, movies, 2, every1s), (Items10k, small, smallCatalog, 1, every1s), (Items100k, large, largeCatalog, 1, every1s),
        ];
        var series = configs.ToDictionary(c => c.Name, c => new Series(c.Name, c.Events.Length, []));
        series[Cold] = new Series(Cold, ratings.Length, []);
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-reco").FullName;
        try
        {
            await using (var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(dir, "checkpoints.db"))))
            {
                // A full pass of the loop and of the job first: the job's code is compiled and tiered up (with dynamic
                // PGO) over its first hundred thousand events, so a shorter warm-up would measure the JIT (about a third
                // of a first run's CPU), not the per-event cost of a running job. The first job run is reported apart.
                log.WriteLine("reco: warm-up (loop over the whole log) ...");
                RecoLoop.Run(ratings, movies, settings);
                log.WriteLine("reco: first job run in the process (JIT and tier-up included) ...");
                var cold = await RunJobAsync(runtime, ratings, movies, settings, 1, every1s, ct);
                log.WriteLine($"reco:   {ratings.Length / cold.CpuSeconds:N0} events per CPU-second, {cold.CpuSeconds:F2} CPU s");
                series[Cold].Runs.Add(cold);
                for (int round = 0; round < rounds; round++)
                {
                    foreach (var (name, events, catalog, parallelism, checkpoints) in configs)
                    {
                        ct.ThrowIfCancellationRequested();
                        log.WriteLine($"reco: round {round + 1}/{rounds}, {name} ({events.Length:N0} events) ...");
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        GC.Collect();
                        var sample = parallelism == 0 ? RunLoop(events, catalog, settings) : await RunJobAsync(runtime, events, catalog, settings, parallelism, checkpoints, ct);
                        log.WriteLine($"reco:   {events.Length / sample.Seconds:N0} events/s, {sample.CpuSeconds:F2} CPU s, {events.Length / sample.CpuSeconds:N0} events per CPU-second, {sample.Lists:N0} lists, {sample.Checkpoints} checkpoints, collections (gen0/gen1/gen2, pause) {sample.Collections}");
                        series[name].Runs.Add(sample);
                    }
                    string[] movieLens = [Loop, P1, P1Checkpoints10s, P1NoCheckpoints, P2];
                    var lists = movieLens.Select(n => series[n].Runs[^1].Lists).Distinct().ToList();
                    if (lists.Count != 1) throw new InvalidOperationException($"reco bench: the MovieLens rows emitted different numbers of lists: {string.Join(", ", movieLens.Select(n => $"{n} {series[n].Runs[^1].Lists}"))}");
                }
            }
            log.WriteLine("reco: recall@10 with recoflow evaluate on MovieLens ...");
            var report = await EvaluateCommand.RunAsync(new EvaluateCommand.EvaluationOptions(ratingsPath, "movielens"), ct);
            var loadAtEnd = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
            return new Result(conditions, loadAtEnd, rounds, series, report, report.Events);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The settings <c>recoflow run recommendations</c> uses when no parameter is given.</summary>
    public static RecommendationSettings JobDefaults() =>
        RecommendationSettings.From(new JobParameters(new Dictionary<string, string>(), RecommendationSettings.Parameters));

    /// <summary>ratings.csv parsed up front by the job's own row parser, in timestamp order (file order among equal times).</summary>
    private static Interaction[] ParseRatings(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0)
            .Select(l => RecommendationJob.ParseMovieLens(l.Split(',')))
            .Select((e, i) => (e, i)).OrderBy(x => x.e.TimestampMs).ThenBy(x => x.i).Select(x => x.e).ToArray();

    private static Sample RunLoop(Interaction[] events, ItemCatalog catalog, RecommendationSettings settings)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var gc = GcCounts.Now();
        var sw = Stopwatch.StartNew();
        var (lists, _) = RecoLoop.Run(events, catalog, settings);
        var seconds = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return new Sample(seconds, (process.TotalProcessorTime - cpu).TotalSeconds, lists, 0, GcCounts.Now().Since(gc));
    }

    /// <summary>
    /// The whole job (<see cref="RecommendationJob.Pipeline"/>) over <paramref name="events"/> from an in-memory source
    /// at parallelism 1, every other operator at <paramref name="parallelism"/> (the job's default parallelism), its
    /// lists formatted as the job's JSON lines and counted, with <paramref name="checkpoints"/> (null: none) into the runtime's SQLite store.
    /// </summary>
    private static async Task<Sample> RunJobAsync(LocalRuntime runtime, Interaction[] events, ItemCatalog catalog, RecommendationSettings settings, int parallelism, CheckpointOptions? checkpoints, CancellationToken ct)
    {
        var job = new StreamJob("recommendations-bench").WithDefaultParallelism(parallelism);
        var source = job.FromSource(new CollectionSource<Interaction>(events, e => e.TimestampMs), WatermarkStrategy<Interaction>.ForMonotonousTimestamps(), "interactions")
            .SetParallelism(1);
        var sink = new JsonCountingSink();
        RecommendationJob.Pipeline(source, () => catalog, settings).Recommendations.SinkTo(sink, "recommendations (JSON lines, counted)");
        var graph = job.Build();
        var options = new JobRunOptions { Checkpoints = checkpoints, JobKey = $"recommendations-bench-{Guid.NewGuid():N}" };
        var gc = GcCounts.Now();
        var (seconds, cpuSeconds, completed) = await BenchCommand.MeasureAsync(runtime, graph, options, ct);
        var collections = GcCounts.Now().Since(gc);
        var served = ListRecall.Compute(events.Select(e => new ReplayedEvent(e.EventId, e.UserId, e.ItemId, e.IsPositive)), sink.Served);
        return new Sample(seconds, cpuSeconds, sink.Lists, completed, collections, served.Recall);
    }

    /// <summary>
    /// The sink's work of the job's file or Kafka sink without the I/O: each list formatted as its JSON line and counted;
    /// its items kept by event id for the recall of the lists served.
    /// </summary>
    private sealed class JsonCountingSink : ISink<Recommendation>
    {
        private long _lists, _chars;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> _served = new(StringComparer.Ordinal);
        public long Lists => Interlocked.Read(ref _lists);
        public IReadOnlyDictionary<string, string[]> Served => _served;
        public long Chars => Interlocked.Read(ref _chars);
        public ISinkWriter<Recommendation> CreateWriter(SinkContext context) => new Writer(this);
        public string Describe() => "JSON lines, counted";

        private sealed class Writer(JsonCountingSink owner) : ISinkWriter<Recommendation>
        {
            private long _lists, _chars;

            public void Write(Recommendation value, long timestamp)
            {
                _lists++;
                _chars += RecommendationJob.ToJson(value).Length;
                owner._served[value.EventId] = value.Items;
            }

            public void Flush(bool endOfInput)
            {
                Interlocked.Add(ref owner._lists, _lists);
                Interlocked.Add(ref owner._chars, _chars);
                _lists = _chars = 0;
            }

            public void Dispose() { }
        }
    }
}
