using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Models;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Recommenders;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;
using RecoFlow.Cli;

namespace RecoFlow.Recommendations.Cli;

/// <summary>
/// <c>recoflow evaluate</c>: replays an interaction log through the recommendation job on the embedded runtime and
/// scores it prequentially (protocol in docs/recommendation-evaluation.md), with popularity, random and item co-visitation
/// baselines.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create(TextWriter output)
    {
        var input = new Option<string>("--input") { Description = "interaction log: JSON Lines events or MovieLens ratings.csv", Required = true };
        var format = new Option<string>("--format") { Description = "events (JSON lines), movielens (ratings.csv) or online-retail (invoice lines: InvoiceNo, StockCode, Quantity, InvoiceDate, CustomerID)", DefaultValueFactory = _ => "events" };
        var k = new Option<int>("--k") { Description = "list length", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var catalog = new Option<string?>("--catalog") { Description = "item catalogue (MovieLens movies.csv); default: movies.csv beside a MovieLens input" };
        var theta = new Option<double>("--dpp-theta") { Description = "DPP knob in [0,1]; 1 = off", DefaultValueFactory = _ => 1 };
        var candidates = new Option<int>("--dpp-candidates") { Description = "candidates the DPP re-ranks", DefaultValueFactory = _ => 50 };
        var relevance = new Option<string>("--dpp-relevance") { Description = "relevance the DPP uses: logrank, rank, minmax, score, calibrated or softmax", DefaultValueFactory = _ => "logrank" };
        var shrink = new Option<double>("--dpp-shrink") { Description = "shrink of the DPP kernel's similarity toward the identity, in (0,1]; 1 = unchanged", DefaultValueFactory = _ => 1 };
        var dppPool = new Option<string>("--dpp-pool") { Description = "candidates the DPP re-ranks: top or genre (top plus the best --dpp-per-genre of each category)", DefaultValueFactory = _ => "top" };
        var perGenre = new Option<int>("--dpp-per-genre") { Description = "with --dpp-pool genre: items of each category added to the pool", DefaultValueFactory = _ => 6 };
        var ildTarget = new Option<double?>("--ild-target") { Description = "hold the intra-list diversity of the lists at this value with the diversity loop (moves the DPP's θ; --dpp-theta is where it starts)" };
        var ildWindow = new Option<int>("--ild-window") { Description = "with --ild-target: lists in the diversity loop's audit window", DefaultValueFactory = _ => 400 };
        var kernel = new Option<string>("--dpp-kernel") { Description = "similarity of the DPP kernel: cosine or jaccard", DefaultValueFactory = _ => "cosine" };
        var objective = new Option<string>("--dpp-objective") { Description = "what the DPP's greedy selection maximises: logdet (the DPP's log det) or pairwise (relevance minus the summed pairwise similarity, linear like the ILD)", DefaultValueFactory = _ => "logdet" };
        var rescore = new Option<string>("--rescore") { Description = "online re-scoring of the candidates: none, ftrl, tree or ftrl+tree", DefaultValueFactory = _ => "none" };
        var interval = new Option<string>("--publish-interval") { Description = "event time between item-model versions", DefaultValueFactory = _ => "1m" };
        var maxEvents = new Option<int?>("--events") { Description = "use only the first N events in timestamp order" };
        var testFrom = new Option<double>("--test-from") { Description = "test only events after this fraction of the log (all events are still learned)", DefaultValueFactory = _ => 0 };
        var retrain = new Option<string>("--retrain-interval") { Description = "event time between refits of the item factors over the retraining window (0 = off)", DefaultValueFactory = _ => "0" };
        var retrainWindow = new Option<string>("--retrain-window") { Description = "event time of positive interactions a refit learns from", DefaultValueFactory = _ => "24h" };
        var order = new Option<string>("--order")
        {
            Description = "event-time (the default: item model and scoring take their input in event-time order behind the watermark, so each list is scored from the state before its event, as the protocol says, and every run serves the same lists) or arrival (score each event as it comes, as a live job does: model versions reach scoring asynchronously, so lists may miss the latest events and runs differ in the third decimal)",
            DefaultValueFactory = _ => "event-time",
        };
        var userTtl = new Option<string>("--user-ttl") { Description = "event time without an event after which the job forgets a user, as its user-ttl parameter (0 = never)", DefaultValueFactory = _ => "365d" };
        var param = new Option<string[]>("--param")
        {
            Description = "a parameter of the recommendation job as NAME=VALUE (repeatable; `recoflow jobs` lists them), for those without an option of their own here",
            AllowMultipleArgumentsPerToken = false,
        };
        var mf = new Option<bool>("--mf-baseline") { Description = "add a matrix factorisation trained once on the first 20 % of the log as baseline batch_mf" };
        var cmd = new Command("evaluate", "replay a log through the recommendation job and print recall@K, NDCG@K, MRR, diversity, coverage, Gini, novelty and latency, with baselines")
            { input, format, k, json, catalog, theta, candidates, relevance, shrink, dppPool, perGenre, ildTarget, ildWindow, kernel, objective, rescore, interval, maxEvents, testFrom, mf, retrain, retrainWindow, order, userTtl, param };
        cmd.SetAction(async (r, ct) =>
        {
            var options = new EvaluationOptions(r.GetValue(input)!, r.GetValue(format)!, r.GetValue(k), r.GetValue(catalog), r.GetValue(theta), r.GetValue(candidates),
                Api.JobParameters.ParseDuration(r.GetValue(interval)!) ?? throw new UsageException("--publish-interval must be a duration like 1m"),
                r.GetValue(maxEvents), r.GetValue(testFrom), r.GetValue(mf))
            {
                DppRelevance = ParseEnum<DppRelevance>(r.GetValue(relevance)!, "--dpp-relevance"),
                DppShrink = r.GetValue(shrink),
                DppPool = ParseEnum<DppPool>(r.GetValue(dppPool)!, "--dpp-pool"),
                DppPerGenre = r.GetValue(perGenre),
                IldTarget = r.GetValue(ildTarget),
                IldWindow = r.GetValue(ildWindow),
                DppKernel = ParseEnum<DppKernel>(r.GetValue(kernel)!, "--dpp-kernel"),
                DppObjective = ParseEnum<DppObjective>(r.GetValue(objective)!, "--dpp-objective"),
                Rescore = r.GetValue(rescore) is "none" or "ftrl" or "tree" or "ftrl+tree" ? r.GetValue(rescore)! : throw new UsageException("--rescore must be none, ftrl, tree or ftrl+tree"),
                RetrainInterval = Api.JobParameters.ParseDuration(r.GetValue(retrain)!) ?? throw new UsageException("--retrain-interval must be a duration like 1h"),
                RetrainWindow = Api.JobParameters.ParseDuration(r.GetValue(retrainWindow)!) is { } w && w > TimeSpan.Zero ? w : throw new UsageException("--retrain-window must be a positive duration like 24h"),
                JobParameters = ParseJobParameters(r.GetValue(param) ?? []),
                UserTimeToLive = Api.JobParameters.ParseDuration(r.GetValue(userTtl)!) is { } ttl && ttl >= TimeSpan.Zero ? ttl : throw new UsageException("--user-ttl must be a duration like 365d (0 = never)"),
                EventTimeOrder = r.GetValue(order) switch
                {
                    "arrival" => false,
                    "event-time" => true,
                    var other => throw new UsageException($"--order must be arrival or event-time, got '{other}'"),
                },
            };
            var report = await RunAsync(options, ct);
            if (report.Skipped > 0) Console.Error.WriteLine($"recoflow evaluate: skipped {report.Skipped:N0} lines of the input that are not events of the log (first: {report.FirstSkipped})");
            if (report.WithoutConsent > 0)
                Console.Error.WriteLine($"recoflow evaluate: {report.WithoutConsent:N0} of {report.Events:N0} events carry no personalisation consent: the job uses them for no user's lists (docs/events.md), the baselines use every event");
            output.WriteLine(r.GetValue(json) ? ToJson(report) : ToText(report));
            return 0;
        });
        return cmd;
    }

    public sealed record EvaluationOptions(string Input, string Format, int K = 10, string? Catalog = null, double DppTheta = 1, int DppCandidates = 50,
        TimeSpan? PublishInterval = null, int? MaxEvents = null, double TestFrom = 0, bool MfBaseline = false)
    {
        public DppRelevance DppRelevance { get; init; } = DppRelevance.LogRank;
        public DppKernel DppKernel { get; init; } = DppKernel.Cosine;
        public DppObjective DppObjective { get; init; } = DppObjective.LogDet;
        public double DppShrink { get; init; } = 1;
        public DppPool DppPool { get; init; } = DppPool.Top;
        public int DppPerGenre { get; init; } = 6;

        /// <summary>The diversity loop's target ILD (null: θ stays <see cref="DppTheta"/>).</summary>
        public double? IldTarget { get; init; }
        public int IldWindow { get; init; } = 400;
        public string Rescore { get; init; } = "none";

        /// <summary>Sliding-window refits of the item factors (zero: off, the evaluation default).</summary>
        public TimeSpan RetrainInterval { get; init; }
        public TimeSpan RetrainWindow { get; init; } = TimeSpan.FromHours(24);

        /// <summary>Parameters of the job (<c>--param</c>) that the settings start from; the options above override theirs.</summary>
        public IReadOnlyDictionary<string, string> JobParameters { get; init; } = new Dictionary<string, string>();

        /// <summary>The job's <c>user-ttl</c>: a user without an event for this much event time is forgotten (zero: never).</summary>
        public TimeSpan UserTimeToLive { get; init; } = TimeSpan.FromDays(365);

        /// <summary>
        /// Item model and scoring in event-time order (the job's <c>order=event-time</c>), the default: each list is scored
        /// from the state before its event and every run serves the same lists. False: arrival order, as a live job serves.
        /// </summary>
        public bool EventTimeOrder { get; init; } = true;
    }

    private static T ParseEnum<T>(string text, string option) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var v) && Enum.IsDefined(v) ? v
            : throw new UsageException($"{option} must be one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    public sealed record Metrics(double Recall, double Ndcg, double Mrr, double Ild, double Coverage, double Gini, double Novelty, double LatencyP50, double LatencyP99, long TestEvents);

    public sealed record Report(Metrics Job, IReadOnlyDictionary<string, Metrics> Baselines, long Events, double Seconds)
    {
        /// <summary>Lines of the input that are not events of the log (<see cref="EvaluationInput"/>), and why the first was not.</summary>
        public int Skipped { get; init; }
        public string? FirstSkipped { get; init; }

        /// <summary>Events without personalisation consent (the job uses them for no user's model; the baselines use every event).</summary>
        public int WithoutConsent { get; init; }

        /// <summary>With <see cref="EvaluationOptions.IldTarget"/>: the diversity loop's decisions, in order.</summary>
        public IReadOnlyList<DiversityRecord> Diversity { get; init; } = [];
    }

    public static async Task<Report> RunAsync(EvaluationOptions o, CancellationToken cancel = default)
    {
        if (o.K < 1) throw new UsageException("--k must be at least 1");
        if (o.DppTheta is < 0 or > 1) throw new UsageException("--dpp-theta must be in [0, 1]");
        if (!(o.DppShrink is > 0 and <= 1)) throw new UsageException("--dpp-shrink must be in (0, 1]");
        if (o.DppPerGenre < 0) throw new UsageException("--dpp-per-genre must not be negative");
        var diversity = o.IldTarget is double target ? DiversityControllerOptions.Starting(target, o.IldWindow, o.DppTheta) : null;
        if (diversity?.Problem() is { } problem) throw new UsageException($"--ild-target/--ild-window: {problem}");
        if (o.DppRelevance == DppRelevance.Calibrated && o.Rescore != "none") throw new UsageException("--dpp-relevance calibrated is not combined with --rescore");
        if (o.TestFrom is < 0 or >= 1) throw new UsageException("--test-from must be in [0, 1)");
        var publish = o.PublishInterval ?? TimeSpan.FromMinutes(1);
        if (o.RetrainInterval > TimeSpan.Zero && (publish <= TimeSpan.Zero || o.RetrainInterval.Ticks % publish.Ticks != 0))
            throw new UsageException("--retrain-interval must be a multiple of --publish-interval");
        if (!File.Exists(o.Input)) throw new UsageException($"input not found: {o.Input}");
        var input = EvaluationInput.Load(o.Input, o.Format, o.Catalog);
        var (interactions, catalog) = (input.Events, input.Catalog);
        var ordered = interactions.Select((e, i) => (e, i)).OrderBy(x => x.e.TimestampMs).ThenBy(x => x.i).Select(x => x.e).ToList();
        if (o.MaxEvents is int max) ordered = ordered.Take(max).ToList();
        // Each event gets the replay's own id (its position), by which its probe list is found again: a log's event ids
        // need not be unique (a shop's export may give every line of an invoice the invoice number).
        for (int i = 0; i < ordered.Count; i++) ordered[i] = ordered[i] with { EventId = i.ToString(CultureInfo.InvariantCulture) };
        var log = EncodedLog.Build(ordered, catalog);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (probes, decisions) = await RunJobAsync(ordered, catalog, o, diversity, cancel);
        double seconds = sw.Elapsed.TotalSeconds;

        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < log.ItemIds.Count; i++) itemIndex[log.ItemIds[i]] = i;
        var byPosition = new int[ordered.Count][];
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < ordered.Count; i++) position.Add(ordered[i].EventId, i);
        var latencies = new List<double>();
        foreach (var p in probes)
        {
            if (!position.TryGetValue(p.EventId, out int at)) continue;
            byPosition[at] = p.Items.Select(x => itemIndex.TryGetValue(x, out int ix) ? ix : -1).Where(x => x >= 0).ToArray();
        }

        var recommenders = new List<IRecommender> { new ReplayedRecommender(byPosition), new PopularityRecommender(), new RandomRecommender(1), new CoVisitationBaselineRecommender() };
        if (o.MfBaseline) recommenders.Add(BatchMfRecommender.TrainOnPrefix(log.Events, 0.2, new BatchMfOptions()));
        var report = new PrequentialEvaluator().Run(log, recommenders, new PrequentialOptions(o.K, TestFrom: (int)(o.TestFrom * log.Events.Count)));

        // Latency of the lists that were scored (test events).
        var tested = TestPositions(log, (int)(o.TestFrom * log.Events.Count));
        var byId = probes.GroupBy(p => p.EventId).ToDictionary(g => g.Key, g => g.First().LatencyMs, StringComparer.Ordinal);
        foreach (int t in tested) if (byId.TryGetValue(ordered[t].EventId, out double ms)) latencies.Add(ms);
        latencies.Sort();

        Metrics From(RecommenderMetrics m, IReadOnlyList<double>? lat) => new(m.RecallAtK, m.NdcgAtK, m.Mrr, m.IntraListDiversity, m.Coverage, m.GiniOfExposure, m.Novelty,
            lat is { Count: > 0 } ? Percentile(lat, 0.5) : 0, lat is { Count: > 0 } ? Percentile(lat, 0.99) : 0, m.TestEvents);
        var baselines = new Dictionary<string, Metrics>(StringComparer.Ordinal)
        {
            ["popularity"] = From(report.Results[1], null),
            ["random"] = From(report.Results[2], null),
            ["covisitation"] = From(report.Results[3], null),
        };
        if (o.MfBaseline) baselines["batch_mf"] = From(report.Results[4], null);
        return new Report(From(report.Results[0], latencies), baselines, report.Events, seconds) { Diversity = decisions, Skipped = input.Skipped, FirstSkipped = input.FirstSkipped, WithoutConsent = input.WithoutConsent };
    }

    /// <summary>The job's parameters that have an option of their own here: the option decides, so <c>--param</c> may not set them.</summary>
    private static readonly Dictionary<string, string> OwnOptions = new(StringComparer.Ordinal)
    {
        ["k"] = "--k", ["dpp-theta"] = "--dpp-theta", ["dpp-candidates"] = "--dpp-candidates", ["dpp-relevance"] = "--dpp-relevance",
        ["dpp-kernel"] = "--dpp-kernel", ["dpp-shrink"] = "--dpp-shrink", ["dpp-objective"] = "--dpp-objective", ["dpp-pool"] = "--dpp-pool",
        ["dpp-per-genre"] = "--dpp-per-genre", ["ild-target"] = "--ild-target", ["ild-window"] = "--ild-window", ["rescore"] = "--rescore",
        ["publish-interval"] = "--publish-interval", ["retrain-interval"] = "--retrain-interval", ["retrain-window"] = "--retrain-window",
        ["order"] = "--order", ["user-ttl"] = "--user-ttl",
    };

    /// <summary>
    /// <c>--param NAME=VALUE</c> values, checked as the job checks them (<see cref="RecommendationSettings.From"/>: an
    /// unknown name or a bad value); a usage error names the problem.
    /// </summary>
    private static Dictionary<string, string> ParseJobParameters(string[] values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            int eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new UsageException($"--param must be NAME=VALUE, got '{v}'");
            string name = v[..eq];
            if (OwnOptions.TryGetValue(name, out var option)) throw new UsageException($"--param {name}: use {option}");
            result[name] = v[(eq + 1)..];
        }
        try
        {
            RecommendationSettings.From(new Api.JobParameters(result, RecommendationSettings.Parameters));
        }
        catch (Api.JobParameterException ex)
        {
            throw new UsageException(ex.Message);
        }
        return result;
    }

    private static async Task<(List<Recommendation>, List<DiversityRecord>)> RunJobAsync(List<Interaction> ordered, ItemCatalog? catalog, EvaluationOptions o,
        DiversityControllerOptions? diversity, CancellationToken cancel)
    {
        var defaults = RecommendationSettings.From(new Api.JobParameters(o.JobParameters, RecommendationSettings.Parameters));
        var settings = defaults with
        {
            Users = defaults.Users with { StateTimeToLive = o.UserTimeToLive },
            ItemModel = defaults.ItemModel with { PublishInterval = o.PublishInterval, RetrainInterval = o.RetrainInterval, RetrainWindow = o.RetrainWindow, EventTimeOrder = o.EventTimeOrder, UserTimeToLive = o.UserTimeToLive },
            Scoring = defaults.Scoring with
            {
                K = o.K,
                DppTheta = o.DppTheta < 1 ? o.DppTheta : null,
                DppCandidates = o.DppCandidates,
                DppRelevance = o.DppRelevance,
                DppKernel = o.DppKernel,
                DppShrink = o.DppShrink,
                DppObjective = o.DppObjective,
                DppPool = o.DppPool,
                DppPerGenre = o.DppPerGenre,
                Diversity = diversity,
                FtrlRescoring = o.Rescore.Contains("ftrl", StringComparison.Ordinal),
                TreeRescoring = o.Rescore.Contains("tree", StringComparison.Ordinal),
                EmitProbes = true,
                EmitAfterEvent = false,
                EventTimeOrder = o.EventTimeOrder,
            },
        };
        var job = new StreamJob("recommendations-evaluate");
        var source = job.FromSource(new CollectionSource<Interaction>(ordered, e => e.TimestampMs),
            WatermarkStrategy<Interaction>.ForMonotonousTimestamps(), "interaction log").SetParallelism(1);
        var sink = new CollectSink<Recommendation>();
        var cat = catalog ?? new ItemCatalog();
        var streams = RecommendationJob.Pipeline(source, () => cat, settings);
        streams.Probes.SinkTo(sink, "probes");
        var decisions = new CollectSink<DiversityRecord>();
        if (diversity is not null) streams.Recommendations.GetSideOutput(ScoringFunction.DiversityOutput).SinkTo(decisions, "diversity decisions");
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        using var registration = cancel.Register(client.Cancel);
        var result = await client.Completion;
        if (result.State != JobState.Finished) throw new InvalidOperationException($"evaluation job {result.State}: {result.Failure?.Message}");
        return (sink.Items.ToList(), decisions.Items.ToList());
    }

    /// <summary>Positions of the protocol's test events (the same rule as <see cref="PrequentialEvaluator"/>).</summary>
    private static List<int> TestPositions(EncodedLog log, int testFrom)
    {
        var earlier = new HashSet<long>();
        var hasPositive = new bool[log.UserCount];
        var result = new List<int>();
        for (int t = 0; t < log.Events.Count; t++)
        {
            var e = log.Events[t];
            if (!e.IsPositive) continue;
            long pair = ((long)e.User << 32) | (uint)e.Item;
            if (t >= testFrom && hasPositive[e.User] && !earlier.Contains(pair)) result.Add(t);
            earlier.Add(pair);
            hasPositive[e.User] = true;
        }
        return result;
    }

    private static double Percentile(IReadOnlyList<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Serves the lists the job emitted, event by event, to the prequential evaluator.</summary>
    private sealed class ReplayedRecommender(int[]?[] lists) : IRecommender
    {
        private int _position;
        public string Name => "job";
        public void Learn(in FeedbackEvent e) => _position++;

        public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination)
        {
            var list = lists[_position];
            if (list is null) return 0;
            int n = Math.Min(k, list.Length);
            list.AsSpan(0, n).CopyTo(destination);
            return n;
        }
    }

    public static string ToJson(Report r)
    {
        static Dictionary<string, object> Obj(Metrics m) => new()
        {
            ["recall_at_k"] = m.Recall, ["ndcg_at_k"] = m.Ndcg, ["mrr"] = m.Mrr, ["ild"] = m.Ild, ["coverage"] = m.Coverage, ["gini"] = m.Gini,
            ["novelty"] = m.Novelty, ["latency_p50_ms"] = m.LatencyP50, ["latency_p99_ms"] = m.LatencyP99, ["test_events"] = m.TestEvents,
        };
        var root = Obj(r.Job);
        root["baselines"] = r.Baselines.ToDictionary(b => b.Key, b => (object)Obj(b.Value));
        root["skipped_lines"] = r.Skipped;
        root["events_without_consent"] = r.WithoutConsent;
        if (r.FirstSkipped is { } first) root["first_skipped"] = first;
        if (r.Diversity.Count > 0)
        {
            var last = r.Diversity[^1];
            root["diversity_loop"] = new Dictionary<string, object>
            {
                ["target"] = last.Target, ["theta"] = last.Theta, ["versions"] = last.Version, ["lists"] = last.Lists,
                ["thetas"] = r.Diversity.Select(d => d.Theta).ToArray(),
            };
        }
        return JsonSerializer.Serialize(root);
    }

    public static string ToText(Report r)
    {
        var sb = new System.Text.StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"{r.Events:N0} events replayed through the recommendations job in {r.Seconds:F1} s; {r.Job.TestEvents:N0} test events");
        sb.AppendLine("recommender   recall@K  NDCG@K   MRR      ILD     coverage  Gini    novelty  p50 ms   p99 ms");
        void Row(string name, Metrics m) => sb.AppendLine(inv, $"{name,-13} {m.Recall,-9:F4} {m.Ndcg,-8:F4} {m.Mrr,-8:F4} {m.Ild,-7:F3} {m.Coverage,-9:F3} {m.Gini,-7:F3} {m.Novelty,-8:F2} {m.LatencyP50,-8:F2} {m.LatencyP99:F2}");
        Row("job", r.Job);
        foreach (var (name, m) in r.Baselines) Row(name, m);
        if (r.Diversity.Count > 0)
            sb.AppendLine(inv, $"diversity loop: target ILD {r.Diversity[^1].Target:F3}, θ {r.Diversity[^1].Theta:F4} after {r.Diversity[^1].Version} versions");
        return sb.ToString().TrimEnd();
    }
}
