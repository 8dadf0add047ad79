using System.Diagnostics;
using System.Text.Json.Nodes;
using RecoFlow.Testing;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// The recommendation job at parallelism 3 on three node processes, over a MovieLens prefix: its user features, item
/// model and scoring tasks spread over the nodes. After a short warm-up run, an uninterrupted run; then a run in which a worker that
/// hosts scoring tasks (neither the seed nor the job manager's node) is killed with kill -9 mid-stream. The job
/// restarts from its last completed checkpoint on the survivors and finishes; both runs commit exactly one list per
/// rating, and the killed run's recall@10 is within <see cref="RecommendationReplay.RecallTolerance"/> (3 %) of the
/// uninterrupted one's. The runs use <see cref="RecommendationReplay.EventTimeOrder"/>, which makes the lists reproducible.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RecommendationClusterTests(BareThreeNodeCluster cluster, ITestOutputHelper log) : IClassFixture<BareThreeNodeCluster>
{
    private const int Events = 25_000;

    [Fact]
    public async Task Killing_a_worker_that_hosts_scoring_tasks_restarts_them_on_the_survivors_with_one_committed_list_per_rating()
    {
        var input = Path.Combine(cluster.Directory, "ratings.csv");
        var events = RecommendationReplay.WriteMovieLensPrefix(input, Events);
        var catalog = Path.Combine(RepositoryData.MovieLensDir(), "movies.csv");
        // 25 s of input: the kill lands mid-stream. A version every hour of event time rather than every minute: each
        // version is broadcast to every scoring task, across nodes, and three nodes on two shared cores keep up with less.
        Task<string> Submit(string output, string ratings, int rate) => SubmitAsync("--param", $"input={ratings}", "--param", "format=movielens",
            "--param", $"catalog={catalog}", "--param", $"output={output}", "--param", "parallelism=3", "--param", $"rate={rate}", "--param", "publish-interval=1h",
            "--param", RecommendationReplay.EventTimeOrder);

        // A short run first loads the job's code on every node and warms it up: a cold first run falls behind its rate,
        // which makes the model lag the events it scores (and its recall lower) for reasons that are not under test.
        var clock = Stopwatch.StartNew();
        var warmUp = Path.Combine(cluster.Directory, "ratings-warm-up.csv");
        RecommendationReplay.WriteMovieLensPrefix(warmUp, 3_000);
        await WaitForEnd(await Submit(Path.Combine(cluster.Directory, "reco-warm-up"), warmUp, rate: 0), cluster.Nodes[0], TimeSpan.FromMinutes(2));
        log.WriteLine($"warm-up run: {clock.Elapsed.TotalSeconds:F1} s");

        clock.Restart();
        var referenceOutput = Path.Combine(cluster.Directory, "reco-reference");
        var reference = await Submit(referenceOutput, input, rate: 1_000);
        var done = await WaitForEnd(reference, cluster.Nodes[0], TimeSpan.FromMinutes(3));
        Assert.Equal(3, ScoringNodes(done).Distinct().Count()); // one scoring task on each node
        log.WriteLine($"uninterrupted run {reference}: {clock.Elapsed.TotalSeconds:F1} s");
        var referenceRecall = CheckExactlyOnce(events, referenceOutput);

        clock.Restart();
        var output = Path.Combine(cluster.Directory, "reco-killed");
        var id = await Submit(output, input, rate: 1_000);
        JsonNode? job = null;
        await cluster.Eventually(async () =>
        {
            job = await cluster.GetAsync(cluster.Nodes[1], $"api/jobs/{id}");
            var status = job?["status"]?.GetValue<string>();
            Assert.True(status is not ("FINISHED" or "FAILED" or "CANCELED"), $"the job ended ({status}) before it was seen RUNNING with a completed checkpoint: {job?.ToJsonString()}");
            return status == "RUNNING" && job!["last_checkpoint"] is JsonObject;
        }, TimeSpan.FromSeconds(60), "job RUNNING with a completed checkpoint");
        var master = job!["node"]!.GetValue<string>();
        var scoring = ScoringNodes(job);
        log.WriteLine($"job {id}: master on {master}, scoring tasks on {string.Join(", ", scoring)}, checkpoint {job["last_checkpoint"]!["id"]}");
        Assert.Equal(3, scoring.Distinct().Count());
        var victim = cluster.Nodes.Skip(1).First(n => n.Address != master && scoring.Contains(n.Address));

        await victim.KillAsync();
        log.WriteLine($"killed {victim.Address} {clock.Elapsed.TotalSeconds:F1} s after the submission");
        var killed = Stopwatch.StartNew();
        job = await WaitForEnd(id, cluster.Nodes.First(n => !n.HasExited), TimeSpan.FromMinutes(3));
        log.WriteLine($"finished {killed.Elapsed.TotalSeconds:F1} s after the kill; restarts {job["restarts"]}");
        Assert.True(job["restarts"]!.GetValue<int>() >= 1, "the worker's death restarted the job");
        Assert.DoesNotContain(victim.Address, ScoringNodes(job));
        Assert.Equal(master, job["node"]!.GetValue<string>()); // the job manager did not move

        var recall = CheckExactlyOnce(events, output);
        log.WriteLine($"uninterrupted: {referenceRecall}; with a worker killed: {recall}");
        Assert.True(RecommendationReplay.WithinTolerance(recall, referenceRecall),
            $"{recall} with a worker killed is not within {RecommendationReplay.RecallTolerance:P0} of the uninterrupted run's {referenceRecall}: did a restore lose learned state?");
    }

    private async Task<string> SubmitAsync(params string[] parameters)
    {
        var submit = await Cli.RunAsync(["submit", "recommendations", "--cluster", cluster.Nodes[0].Http.ToString(), .. parameters]);
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        Assert.Matches("^recommendations-[0-9a-f]{8}$", submit.Out);
        return submit.Out;
    }

    /// <summary>Polls the job until it is FINISHED (failing on FAILED or CANCELED); returns its last view.</summary>
    private async Task<JsonNode> WaitForEnd(string id, NodeProcess node, TimeSpan timeout)
    {
        JsonNode? job = null;
        await cluster.Eventually(async () =>
        {
            job = await cluster.GetAsync(node, $"api/jobs/{id}");
            var status = job?["status"]?.GetValue<string>();
            Assert.True(status is not ("FAILED" or "CANCELED"), $"job {id} ended {status}: {job?.ToJsonString()}");
            return status == "FINISHED";
        }, timeout, $"job {id} FINISHED");
        return job!;
    }

    /// <summary>Asserts that each input event has exactly one committed list; returns the lists' recall@10.</summary>
    private RecallResult CheckExactlyOnce(IReadOnlyList<ReplayedEvent> events, string outputDir)
    {
        var (lists, repeated) = RecommendationReplay.ReadCommitted(outputDir);
        var violations = RecommendationReplay.ExactlyOnceViolations(events, lists, repeated);
        Assert.True(violations is null, $"{outputDir}: {violations}\n{cluster.Logs()}");
        return ListRecall.Compute(events, lists);
    }

    private static List<string> ScoringNodes(JsonNode job) =>
        job["tasks"]!.AsArray().Where(t => t!["name"]!.GetValue<string>().StartsWith("scoring", StringComparison.Ordinal))
            .Select(t => t!["node"]!.GetValue<string>()).ToList();
}
