using System.Text.Json;
using RecoFlow.Api;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Push;
using RecoFlow.TestKit;

namespace RecoFlow.Server.Tests.Push;

/// <summary>
/// Web Push end to end through the recommendation job: a subscription control event in the input reaches the keyed
/// push step, the user's new lists become candidates, and the node's push sink notifies the local push service once
/// (the interval holds the rest back) with the user's list, which the subscription's keys decrypt. The keyed steps run at parallelism 2.
/// </summary>
public sealed class PushJobTests : IAsyncLifetime, IDisposable
{
    private const long T0 = 1_767_261_600_000;
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-push-job-").FullName;
    private PushNode _node = null!;
    private LocalPushService _push = null!;

    public async Task InitializeAsync()
    {
        _node = await PushNode.StartAsync();
        _push = await LocalPushService.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _push.DisposeAsync();
        await _node.DisposeAsync();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Click(int n, string user, int item) => JsonSerializer.Serialize(new
    {
        event_id = $"e-{n}", user_id = user, item_id = item.ToString(System.Globalization.CultureInfo.InvariantCulture), type = "click", ts = T0 + n,
        consent = new { personalization = true },
    });

    [Fact]
    public async Task A_subscribed_user_without_a_page_open_is_notified_of_their_new_list()
    {
        var catalog = Path.Combine(_dir, "movies.csv");
        File.WriteAllLines(catalog, ["movieId,title,genres", .. Enumerable.Range(1, 20).Select(i => $"{i},Item {i},{(i % 2 == 0 ? "Drama" : "Comedy")}")]);
        using var browser = new UserAgent();
        var lines = new List<string> { new PushSubscriptionChange("alice", browser.Subscription(_push.Endpoint("alice")), T0).ControlJson() };
        // Other shoppers first (the subscription has their time to reach the push step), then alice.
        for (var n = 0; n < 60; n++) lines.Add(Click(n, $"shopper-{n % 6}", 1 + (n * 7) % 20));
        for (var n = 60; n < 70; n++) lines.Add(Click(n, "alice", 1 + n % 20));
        var input = Path.Combine(_dir, "events.jsonl");
        File.WriteAllLines(input, lines);
        var output = Path.Combine(_dir, "recs.jsonl");

        var definition = new RecommendationJob();
        var job = definition.Build(new JobParameters(new Dictionary<string, string>
        {
            ["input"] = input, ["output"] = output, ["catalog"] = catalog, ["pseudonymize"] = "false", ["push"] = "true", ["rate"] = "200", ["parallelism"] = "2",
            ["publish-interval"] = "10ms",
        }, definition.Parameters), streams => streams.PushCandidates!.SinkTo(_node.Server.PushSink(), "push notifications").SetParallelism(1));
        await JobTestDriver.RunAsync(job, TimeSpan.FromMinutes(2));

        var request = await _push.NextAsync();
        UserAgent.CheckVapid(request.Authorization, PushNode.Keys.PublicKey, _push.Url);
        var payload = JsonDocument.Parse(browser.Decrypt(request.Body)).RootElement;
        var items = payload.GetProperty("items").EnumerateArray().Select(i => i.GetString()!).ToArray();
        Assert.NotEmpty(items);
        var aliceLists = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("user_id").GetString() == "alice")
            .Select(r => r.GetProperty("items").EnumerateArray().Select(i => i.GetString()!).Take(items.Length).ToArray()).ToList();
        Assert.Contains(aliceLists, l => l.SequenceEqual(items));
        Assert.Null(_push.TryNext());
        Assert.Equal(1, _node.Server.PushMetrics.Count("delivered"));
        Assert.True(_node.Server.PushMetrics.Count("rate_limited") + _node.Server.PushMetrics.Count("not_material") >= 1);
    }

    [Fact]
    public void Push_needs_a_host_that_attaches_a_push_sink()
    {
        var definition = new RecommendationJob();
        var input = Path.Combine(_dir, "events.jsonl");
        File.WriteAllText(input, "");
        var e = Assert.Throws<JobParameterException>(() => definition.Build(new JobParameters(new Dictionary<string, string>
        {
            ["input"] = input, ["output"] = Path.Combine(_dir, "out"), ["push"] = "true",
        }, definition.Parameters)));
        Assert.Contains("push sink", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Push_needs_input_that_carries_subscriptions()
    {
        var definition = new RecommendationJob();
        var input = Path.Combine(_dir, "ratings.csv");
        File.WriteAllLines(input, ["userId,movieId,rating,timestamp", "1,10,4.0,1000"]);
        var e = Assert.Throws<JobParameterException>(() => definition.Build(new JobParameters(new Dictionary<string, string>
        {
            ["input"] = input, ["format"] = "movielens", ["output"] = Path.Combine(_dir, "out"), ["push"] = "true",
        }, definition.Parameters)));
        Assert.Contains("push", e.Message, StringComparison.Ordinal);
    }
}
