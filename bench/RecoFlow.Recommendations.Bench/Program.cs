using System.Diagnostics;
using System.Globalization;
using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Models;
using RecoFlow.Recommendations.Recommenders;

// Usage: dotnet run -c Release --project bench/RecoFlow.Recommendations.Bench -- [baselines] [dpp] [lab] [events=N] [hybrid option=value ...]
// lab: hit rate of the hybrid's candidate pool (top dppn plus dpppergenre per genre) by base rank and genre novelty.
// Prints the prequential table used in docs/recommendation-evaluation.md.
var inv = CultureInfo.InvariantCulture;
string dataDir = RecoFlow.Testing.RepositoryData.MovieLensDir();
var sw = Stopwatch.StartNew();
ItemCatalog catalog = MovieLensLoader.LoadMovies(Path.Combine(dataDir, "movies.csv"));
EncodedLog log = EncodedLog.Build(MovieLensLoader.LoadRatings(Path.Combine(dataDir, "ratings.csv")), catalog);
Console.WriteLine($"loaded {log.Events.Count} events, {log.UserCount} users, {log.ItemCount} items in {sw.Elapsed.TotalSeconds:0.0}s");

var opts = new HybridOptions();
int? maxEvents = null;
int testFrom = 0;
double[] thetas = [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
bool baselines = false, dpp = false, diag = false, lab = false;
foreach (string arg in args)
{
    string[] kv = arg.Split('=', 2);
    switch (kv[0])
    {
        case "baselines": baselines = true; break;
        case "diag": diag = true; break;
        case "dpp": dpp = true; break;
        case "lab": lab = true; break;
        case "from": testFrom = (int)(log.Events.Count * double.Parse(kv[1], inv)); break;
        case "dppn": opts = opts with { DppCandidates = int.Parse(kv[1], inv) }; break;
        case "dppr": opts = opts with { DppRelevance = Enum.Parse<RecoFlow.Recommendations.Ranking.DppRelevance>(kv[1], ignoreCase: true) }; break;
        case "dppk": opts = opts with { DppKernel = Enum.Parse<RecoFlow.Recommendations.Ranking.DppKernel>(kv[1], ignoreCase: true) }; break;
        case "dpppool": opts = opts with { DppPool = Enum.Parse<RecoFlow.Recommendations.Ranking.DppPool>(kv[1], ignoreCase: true) }; break;
        case "dpppergenre": opts = opts with { DppPerGenre = int.Parse(kv[1], inv) }; break;
        case "dppshrink": opts = opts with { DppShrink = double.Parse(kv[1], inv) }; break;
        case "dppcallr": opts = opts with { DppCalibration = opts.DppCalibration with { LearnRate = double.Parse(kv[1], inv) } }; break;
        case "dppcalgenre": opts = opts with { DppCalibration = opts.DppCalibration with { GenreFeatures = bool.Parse(kv[1]) } }; break;
        case "dppkeep": opts = opts with { DppKeepTop = int.Parse(kv[1], inv) }; break;
        case "thetas": thetas = kv[1].Split(',').Select(x => double.Parse(x, inv)).ToArray(); break;
        case "events": maxEvents = int.Parse(kv[1], inv); break;
        case "mf": opts = opts with { WeightMf = float.Parse(kv[1], inv) }; break;
        case "co": opts = opts with { WeightCoVisitation = float.Parse(kv[1], inv) }; break;
        case "pop": opts = opts with { WeightPopularity = float.Parse(kv[1], inv) }; break;
        case "cat": opts = opts with { WeightCategory = float.Parse(kv[1], inv) }; break;
        case "pophl": opts = opts with { PopularityHalfLifeDays = double.Parse(kv[1], inv) }; break;
        case "cohl": opts = opts with { CoVisitationHalfLifeDays = double.Parse(kv[1], inv) }; break;
        case "nonpos": opts = opts with { NonPositivePopularityWeight = double.Parse(kv[1], inv) }; break;
        case "window": opts = opts with { CoVisitationWindow = int.Parse(kv[1], inv) }; break;
        case "recent": opts = opts with { RecentItems = int.Parse(kv[1], inv) }; break;
        case "rdecay": opts = opts with { RecencyDecay = double.Parse(kv[1], inv) }; break;
        case "cdecay": opts = opts with { CategoryDecay = double.Parse(kv[1], inv) }; break;
        case "nbrs": opts = opts with { MaxNeighbours = int.Parse(kv[1], inv) }; break;
        case "seen": opts = opts with { ExcludeSeen = bool.Parse(kv[1]) }; break;
        case "k": opts = opts with { Isgd = opts.Isgd with { Factors = int.Parse(kv[1], inv) } }; break;
        case "lr": opts = opts with { Isgd = opts.Isgd with { LearnRate = float.Parse(kv[1], inv) } }; break;
        case "neg": opts = opts with { Isgd = opts.Isgd with { NegativeSamples = int.Parse(kv[1], inv) } }; break;
        case "replay": opts = opts with { ReplaySteps = int.Parse(kv[1], inv) }; break;
        case "rbuf": opts = opts with { ReplayBuffer = int.Parse(kv[1], inv) }; break;
        case "reg": opts = opts with { Isgd = opts.Isgd with { Regularization = float.Parse(kv[1], inv) } }; break;
        default: throw new ArgumentException($"unknown argument {arg}");
    }
}

PoolRecorder? recorder = lab ? new PoolRecorder(new HybridRecommender(opts, log.ItemCategories, log.CategoryCount), log.ItemCategories, log.CategoryCount, opts.DppCandidates, opts.DppPerGenre) : null;
var recs = new List<IRecommender> { recorder ?? (IRecommender)new HybridRecommender(opts, log.ItemCategories, log.CategoryCount) };
if (baselines)
{
    recs.Add(new PopularityRecommender());
    recs.Add(new RandomRecommender(seed: 1));
    sw.Restart();
    recs.Add(BatchMfRecommender.TrainOnPrefix(log.Events, 0.2, new BatchMfOptions()));
    Console.WriteLine($"batch MF trained on the first 20% in {sw.Elapsed.TotalSeconds:0.0}s");
}

if (diag)
{
    recs.Add(new FrozenAfter(new PopularityRecommender(), log.Events.Count / 5));
    recs.Add(new FrozenAfter(new HybridRecommender(opts, log.ItemCategories, log.CategoryCount), log.Events.Count / 5));
}

if (dpp)
{
    foreach (double theta in thetas.Distinct())
    {
        recs.Add(new HybridRecommender(opts with { DppTheta = theta }, log.ItemCategories, log.CategoryCount));
    }
}

sw.Restart();
PrequentialReport report = new PrequentialEvaluator().Run(log, recs, new PrequentialOptions(10, maxEvents, testFrom));
Console.WriteLine($"events {report.Events}, test events {report.TestEvents}, wall {sw.Elapsed.TotalSeconds:0.0}s");
Console.WriteLine("| recommender | recall@10 | NDCG@10 | MRR@10 | ILD | coverage | Gini | novelty | seconds |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
foreach (RecommenderMetrics m in report.Results)
{
    Console.WriteLine(string.Create(inv, $"| {m.Name} | {m.RecallAtK:0.0000} | {m.NdcgAtK:0.0000} | {m.Mrr:0.0000} | {m.IntraListDiversity:0.0000} | {m.Coverage:0.000} | {m.GiniOfExposure:0.000} | {m.Novelty:0.00} | {m.Seconds:0.0} |"));
}

if (dpp)
{
    // Relative to the first row (the hybrid without DPP), with the hit counts behind the recall.
    RecommenderMetrics b = report.Results[0];
    foreach (RecommenderMetrics m in report.Results.Skip(1))
    {
        Console.WriteLine(string.Create(inv, $"{m.Name}: hits {m.Hits} vs {b.Hits}, Δ recall {(double)m.Hits / b.Hits - 1:+0.00%;-0.00%}, ILD {m.IntraListDiversity:0.00000} vs {b.IntraListDiversity:0.00000}, Δ ILD {m.IntraListDiversity / b.IntraListDiversity - 1:+0.00%;-0.00%}"));
    }
}

if (recorder is not null)
{
    sw.Restart();
    LabExperiments.Run(recorder.Cases, log, opts.DppCandidates);
    Console.WriteLine($"lab {sw.Elapsed.TotalSeconds:0.0}s");
}

/// <summary>Diagnostic wrapper: stops learning after a number of events.</summary>
internal sealed class FrozenAfter(IRecommender inner, int events) : IRecommender
{
    private int _seen;

    public string Name => inner.Name + $"-frozen@{events}";

    public void Learn(in FeedbackEvent e)
    {
        if (_seen++ < events) inner.Learn(e);
    }

    public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination) =>
        inner.Recommend(user, k, exclude, nowMs, destination);
}
