using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RecoFlow.Connectors.Files;
using RecoFlow.Jobs.Ysb;
using RecoFlow.TestSupport;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Akka.Remote over TLS with the shipped cluster-config/tls.conf and a certificate from <c>recoflow dev-cert</c>: two
/// real nodes form a cluster over <c>akka.ssl.tcp</c>, run YSB with its keyed tasks on both nodes to FINISHED with
/// the exact counts, share opt-outs; a node without TLS cannot join.
/// </summary>
[Trait("Category", "Slow")]
public sealed class TlsClusterTests(ITestOutputHelper log) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-tls").FullName;
    private readonly List<NodeProcess> _nodes = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30), DefaultRequestHeaders = { Authorization = new("Bearer", Cli.Token) } };

    public Task InitializeAsync() => Task.CompletedTask;

    private string Logs() => string.Join("\n", _nodes.Select(n => $"--- node {n.Port} ---\n{n.Log}"));

    private async Task<JsonNode?> GetAsync(NodeProcess node, string path)
    {
        using var response = await _http.GetAsync(new Uri(node.Http, path));
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
    }

    private async Task<JsonNode> PostAsync(NodeProcess node, string path, string json)
    {
        using var response = await _http.PostAsync(new Uri(node.Http, path), new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} on {node.Address}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> and the nodes' logs after <paramref name="timeout"/>.</summary>
    private Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Polling.UntilAsync(condition, timeout, what, e => e is HttpRequestException or TaskCanceledException or NullReferenceException, () => Task.FromResult(Logs()));

    [Fact]
    public async Task Nodes_with_the_certificate_form_a_cluster_over_TLS_and_run_a_job_on_both_and_a_node_without_TLS_cannot_join()
    {
        var cert = await Cli.RunAsync("dev-cert", "--out", Path.Combine(_dir, "dev-cert"));
        Assert.True(cert.Code == 0, $"dev-cert failed: {cert.Err}");
        // The shipped tls.conf as it is (its certificate path is relative to the working directory), plus the
        // pseudonym key every node of a cluster shares.
        var config = Path.Combine(_dir, "tls-node.conf");
        await File.WriteAllTextAsync(config, await File.ReadAllTextAsync(RepositoryFiles.Path("cluster-config", "tls.conf"))
            + "\nrecoflow.http.pseudonym-key = \"tls-cluster-test-pseudonym-key\"\n");
        var state = Path.Combine(_dir, "state");

        var seedPort = NodeProcess.FreePort();
        _nodes.Add(await NodeProcess.StartAsync(state, seedPort, null, TimeSpan.FromSeconds(60), config, _dir, "akka.ssl.tcp"));
        _nodes.Add(await NodeProcess.StartAsync(state, NodeProcess.FreePort(), seedPort, TimeSpan.FromSeconds(60), config, _dir, "akka.ssl.tcp"));
        await Eventually(async () =>
        {
            var members = (await GetAsync(_nodes[1], "api/overview"))?["cluster"]?["members"]?.AsArray();
            return members is { Count: 2 } && members.All(m => m!["status"]!.GetValue<string>() == "up");
        }, TimeSpan.FromSeconds(60), "two members up");
        var addresses = (await GetAsync(_nodes[0], "api/overview"))!["cluster"]!["members"]!.AsArray().Select(m => m!["address"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(_nodes.Select(n => n.Address).Order(), addresses);
        Assert.All(addresses, a => Assert.StartsWith("akka.ssl.tcp://", a, StringComparison.Ordinal));

        // YSB with parallelism 2: its keyed tasks are placed on both nodes, so records cross the TLS connection.
        var table = YsbData.Campaigns(campaigns: 20, adsPerCampaign: 5);
        var events = YsbData.Generate(150_000, 17, table, eventsPerMs: 5, maxDisorderMs: 2_000, lateShare: 0).ToList();
        var input = Path.Combine(_dir, "events.jsonl");
        YsbData.WriteEvents(input, events);
        var campaigns = Path.Combine(_dir, "campaigns.csv");
        YsbData.WriteCampaigns(campaigns, table);
        var output = Path.Combine(_dir, "counts");
        var submit = await Cli.RunAsync("submit", "ysb", "--cluster", _nodes[1].Http.ToString(), "--param", $"input={input}", "--param", $"campaigns={campaigns}",
            "--param", $"output={output}", "--param", "parallelism=2");
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{Logs()}");
        var id = submit.Out;
        JsonNode? job = null;
        await Eventually(async () =>
        {
            job = await GetAsync(_nodes[0], $"api/jobs/{id}");
            var status = job?["status"]?.GetValue<string>();
            Assert.True(status != "FAILED", $"job {id} failed: {job?.ToJsonString()}\n{Logs()}");
            return status == "FINISHED";
        }, TimeSpan.FromSeconds(90), $"job {id} FINISHED");
        var keyed = job!["tasks"]!.AsArray().Where(t => t!["name"]!.GetValue<string>().StartsWith("count per campaign", StringComparison.Ordinal))
            .Select(t => t!["node"]!.GetValue<string>()).ToList();
        log.WriteLine($"job {id}: keyed tasks on {string.Join(", ", keyed)}");
        Assert.Equal(2, keyed.Count);
        Assert.Equal(_nodes.Select(n => n.Address).Order(), keyed.Order());
        var expected = YsbData.ExpectedCounts(events, table.ToDictionary(t => t.Ad, t => t.Campaign), 10_000, 5_000);
        var actual = new Dictionary<(string, long), long>();
        foreach (var line in CommittedFiles.ReadLines(output))
        {
            var e = JsonDocument.Parse(line).RootElement;
            Assert.True(actual.TryAdd((e.GetProperty("campaign_id").GetString()!, e.GetProperty("window_start").GetInt64()), e.GetProperty("count").GetInt64()), $"window committed twice: {line}");
        }
        Assert.Equal(expected.OrderBy(kv => kv.Key), actual.OrderBy(kv => kv.Key));

        // An opt-out taken by one node holds on the other (they share the erasure log in the state directory).
        Assert.Equal(1, (await PostAsync(_nodes[1], "collect", Click("before"))).AsObject()["accepted"]!.GetValue<int>());
        await PostAsync(_nodes[0], "consent", """{"user_id":"carol","personalization":false}""");
        var refused = await PostAsync(_nodes[1], "collect", Click("after"));
        Assert.Equal((0, 1), (refused["accepted"]!.GetValue<int>(), refused["not_forwarded"]!.GetValue<int>()));

        // A node without TLS speaks plain akka.tcp to the TLS seed: it never joins, and says so when its join timeout ends.
        var plain = Path.Combine(_dir, "plain-node.conf");
        await File.WriteAllTextAsync(plain, "recoflow.cluster.join-timeout = 8s\n");
        var plainPort = NodeProcess.FreePort();
        var refusedJoin = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            NodeProcess.StartAsync(Path.Combine(_dir, "plain-state"), plainPort, seedPort, TimeSpan.FromSeconds(45), plain, _dir));
        log.WriteLine(refusedJoin.Message);
        Assert.Contains($"recoflow: node akka.tcp://recoflow@127.0.0.1:{plainPort} did not join the cluster within 8 s (seeds: 127.0.0.1:{seedPort})", refusedJoin.Message, StringComparison.Ordinal);
        Assert.Contains("exited with 1", refusedJoin.Message, StringComparison.Ordinal);
        var after = (await GetAsync(_nodes[0], "api/overview"))!["cluster"]!["members"]!.AsArray();
        Assert.Equal(2, after.Count);
    }

    private static string Click(string eventId) =>
        "{\"event_id\":\"" + eventId + "\",\"user_id\":\"carol\",\"item_id\":\"item-1\",\"type\":\"click\",\"ts\":" + 1_700_000_000_000L.ToString(CultureInfo.InvariantCulture) + ",\"consent\":{\"personalization\":true}}";

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _http.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
