using System.Globalization;
using RecoFlow.Recommendations.Cli;
using RecoFlow.Recommendations.Ranking;

// Usage: dotnet run -c Release --project bench/RecoFlow.Recommendations.Bench -- [thetas=0.3,0.5,...] [option=value ...]
// A DPP θ sweep through the recommendation job's own ranking path: one `recoflow evaluate` run (EvaluateCommand) on
// MovieLens latest-small without DPP, then one per θ with the same settings, printed as a table with the change of
// recall and ILD against the run without DPP (docs/recommendation-evaluation.md). A single setting is simpler with
// `recoflow evaluate` itself.
var inv = CultureInfo.InvariantCulture;
string dataDir = RecoFlow.Testing.RepositoryData.MovieLensDir();
var options = new EvaluateCommand.EvaluationOptions(Path.Combine(dataDir, "ratings.csv"), "movielens");
double[] thetas = [0.3, 0.5, 0.7];
foreach (string arg in args)
{
    string[] kv = arg.Split('=', 2);
    string v = kv.Length == 2 ? kv[1] : throw new ArgumentException($"expected option=value, got {arg}");
    options = kv[0] switch
    {
        "thetas" => options,
        "from" => options with { TestFrom = double.Parse(v, inv) },
        "events" => options with { MaxEvents = int.Parse(v, inv) },
        "k" => options with { K = int.Parse(v, inv) },
        "dppn" => options with { DppCandidates = int.Parse(v, inv) },
        "dppr" => options with { DppRelevance = Enum.Parse<DppRelevance>(v, ignoreCase: true) },
        "dppk" => options with { DppKernel = Enum.Parse<DppKernel>(v, ignoreCase: true) },
        "dpppool" => options with { DppPool = Enum.Parse<DppPool>(v, ignoreCase: true) },
        "dpppergenre" => options with { DppPerGenre = int.Parse(v, inv) },
        "dppshrink" => options with { DppShrink = double.Parse(v, inv) },
        "dppobj" => options with { DppObjective = Enum.Parse<DppObjective>(v, ignoreCase: true) },
        "rescore" => options with { Rescore = v },
        _ => throw new ArgumentException($"unknown option {kv[0]} (thetas, from, events, k, dppn, dppr, dppk, dpppool, dpppergenre, dppshrink, dppobj, rescore)"),
    };
    if (kv[0] == "thetas") thetas = [.. v.Split(',').Select(x => double.Parse(x, inv))];
}

var runs = new List<(string Name, EvaluateCommand.Metrics Metrics, double Seconds)>();
foreach (double theta in thetas.Prepend(1).Distinct())
{
    var report = await EvaluateCommand.RunAsync(options with { DppTheta = theta });
    string name = theta >= 1 ? "no DPP" : theta.ToString("0.###", inv);
    runs.Add((name, report.Job, report.Seconds));
    Console.Error.WriteLine(string.Create(inv, $"θ {name}: recall@{options.K} {report.Job.Recall:0.0000}, ILD {report.Job.Ild:0.000} ({report.Seconds:0} s)"));
    if (runs.Count == 1)
    {
        foreach (var (baseline, m) in report.Baselines)
            Console.WriteLine(string.Create(inv, $"baseline {baseline}: recall@{options.K} {m.Recall:0.0000}, NDCG {m.Ndcg:0.0000}, ILD {m.Ild:0.000}, coverage {m.Coverage:0.000}"));
        Console.WriteLine(string.Create(inv, $"{report.Events:N0} events, {report.Job.TestEvents:N0} test events"));
    }
}

var b = runs[0].Metrics;
Console.WriteLine($"| θ | recall@{options.K} | Δ recall | ILD | Δ ILD | NDCG@{options.K} | MRR | coverage | novelty | seconds |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (var (name, m, seconds) in runs)
    Console.WriteLine(string.Create(inv, $"| {name} | {m.Recall:0.0000} | {m.Recall / b.Recall - 1:+0.0%;-0.0%} | {m.Ild:0.000} | {m.Ild / b.Ild - 1:+0.0%;-0.0%} | {m.Ndcg:0.0000} | {m.Mrr:0.0000} | {m.Coverage:0.000} | {m.Novelty:0.00} | {seconds:0} |"));
