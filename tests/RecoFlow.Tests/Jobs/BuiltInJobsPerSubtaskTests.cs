using RecoFlow.Api;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Graph;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Recommendations.Push;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Tests.Api;

namespace RecoFlow.Tests.Jobs;

/// <summary>
/// No two parallel subtasks of any built-in job share a mutable object. Every built-in job is built (the
/// recommendation job in several configurations, so every optional stage is in the graph), and for each operator of
/// its graph two subtask operators are made as the runtime makes them (the transformation's operator factory, called
/// once per subtask); the objects reachable from the two (operator, function, lambdas and what they captured, settings)
/// must not include a mutable one in common (<see cref="SharedMutableObjects"/>).
/// </summary>
public sealed class BuiltInJobsPerSubtaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("per-subtask").FullName;
    private readonly Dictionary<string, string> _files;

    public BuiltInJobsPerSubtaskTests()
    {
        _files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["{events}"] = Write("events.jsonl", """{"event_id":"e1","user_id":"u1","item_id":"1","type":"click","timestamp":1700000000000}"""),
            ["{ratings}"] = Write("ratings.csv", "1,1,4.0,1700000000"),
            ["{movies}"] = Write("movies.csv", "movieId,title,genres\n1,One (2000),Drama|Comedy\n2,Two (2001),Horror"),
            ["{control}"] = Write("control.jsonl", """{"rollback_to": 1}"""),
            ["{erasures}"] = Write("erasures.jsonl", ""),
            ["{out}"] = Path.Combine(_dir, "out.jsonl"),
        };
        var table = YsbData.Campaigns();
        _files["{campaigns}"] = Path.Combine(_dir, "campaigns.csv");
        YsbData.WriteCampaigns(_files["{campaigns}"], table);
        _files["{ads}"] = Path.Combine(_dir, "ads.jsonl");
        YsbData.WriteEvents(_files["{ads}"], YsbData.Generate(10, 1, table));
    }

    /// <summary>Each built-in job with valid parameters ({name} stands for a file of the test).</summary>
    public static TheoryData<string, string[]> Configurations => new()
    {
        { "ysb", ["input={ads}", "campaigns={campaigns}", "output={out}", "late-output={out}", "unknown-output={out}", "parallelism=2", "source-parallelism=2"] },
        { "nexmark-q0", ["output={out}", "parallelism=2"] },
        { "nexmark-q1", ["output={out}", "parallelism=2"] },
        { "nexmark-q2", ["output={out}", "parallelism=2"] },
        { "nexmark-q5", ["output={out}", "parallelism=2"] },
        { "nexmark-q7", ["output={out}", "parallelism=2"] },
        { "nexmark-q8", ["output={out}", "parallelism=2"] },
        { "recommendations", ["input={events}", "output={out}"] },
        {
            "recommendations",
            ["input={events}", "output={out}", "catalog={movies}", "rejected-output={out}", "control={control}", "control-follow=false", "versions-output={out}",
                "erasure-log={erasures}", "dpp-theta=0.3", "dpp-pool=genre", "rescore=ftrl+tree", "serendipity=0.2", "retrain-interval=2m", "pseudonym-key=a-test-key-of-some-length",
                "push=true"]
        },
        {
            "recommendations",
            ["input={ratings}", "format=movielens", "output={out}", "catalog={movies}", "dpp-theta=0.1", "dpp-relevance=calibrated", "dpp-shrink=0.5", "dpp-objective=pairwise", "dpp-kernel=jaccard", "pseudonymize=false"]
        },
    };

    [Fact]
    public void Every_built_in_job_is_among_the_configurations()
    {
        var configured = Configurations.Select(row => (string)row[0]).ToHashSet(StringComparer.Ordinal);
        Assert.All(BuiltInJobs.All, job => Assert.Contains(job.Name, configured));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Two_subtasks_of_every_operator_share_no_mutable_object(string jobName, string[] parameters)
    {
        var graph = Build(jobName, parameters);
        var problems = new List<string>();
        int operators = 0, userCode = 0;
        foreach (var node in graph.Transformations)
        {
            if (OperatorFactory(node) is not { } factory) continue;
            var a = factory.DynamicInvoke()!;
            var b = factory.DynamicInvoke()!;
            operators++;
            userCode += SharedMutableObjects.Reachable(a).Count(o => o is RichFunction or Delegate);
            problems.AddRange(SharedMutableObjects.Between(a, b).Select(p => $"{node}: {p}"));
        }

        Assert.True(operators > 0, $"{jobName}: no operator checked");
        Assert.True(userCode > 0, $"{jobName}: the walk reached no function or lambda");
        Assert.True(problems.Count == 0, $"{jobName}: {problems.Count} shared mutable objects:\n{string.Join("\n", problems.Take(20))}");
    }

    /// <summary>The operator factory of an operator node, read as the runtime's task chain reads it; null for sources and sinks.</summary>
    private static Delegate? OperatorFactory(Transformation node) => node.GetType().GetProperty("OperatorFactory")?.GetValue(node) as Delegate;

    private JobGraph Build(string jobName, string[] parameters)
    {
        var definition = BuiltInJobs.Find(jobName) ?? throw new InvalidOperationException($"no job {jobName}");
        var values = parameters.Select(p => p.Split('=', 2)).ToDictionary(kv => kv[0], kv => Resolve(kv[1]), StringComparer.Ordinal);
        var p = new JobParameters(values, definition.Parameters);
        // With push=true the recommendation job needs its host's push sink: a collecting one stands in.
        var job = definition is RecommendationJob reco
            ? reco.Build(p, streams => streams.PushCandidates?.SinkTo(new CollectSink<PushCandidate>(), "push notifications"))
            : definition.Build(p);
        return job.Build();
    }

    private string Resolve(string value) => _files.TryGetValue(value, out var path) ? path : value;

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
