using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using RecoFlow.Connectors.Files;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Three <c>recoflow node</c> processes on loopback (a seed and two nodes joining it) sharing one state directory
/// (the SQLite checkpoint store and the jobs' directories), plus YSB input and its independently computed counts.
/// </summary>
public class ThreeNodeCluster : IAsyncLifetime
{
    /// <summary>False for a fixture whose tests bring their own input: no YSB events are generated.</summary>
    protected virtual bool WithYsbData => true;

    /// <summary>How many nodes the fixture starts (a seed and the others joining it); tests may add more (<see cref="AddNodeAsync"/>).</summary>
    protected virtual int InitialNodes => 3;

    /// <summary>A <c>--config</c> file for every node the fixture starts; null for the defaults.</summary>
    protected virtual string? NodeConfig => null;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("recoflow-cluster").FullName;
    public string StateDirectory => Path.Combine(Directory, "state");
    public string Input => Path.Combine(Directory, "events.jsonl");
    public string Campaigns => Path.Combine(Directory, "campaigns.csv");
    public List<NodeProcess> Nodes { get; } = [];
    public const long Events = 2_500_000;
    public Dictionary<(string Campaign, long WindowStart), long> Expected { get; private set; } = [];
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30), DefaultRequestHeaders = { Authorization = new("Bearer", Cli.Token) } };

    public async Task InitializeAsync()
    {
        var seedPort = NodeProcess.FreePort();
        var seed = NodeProcess.StartAsync(StateDirectory, seedPort, null, TimeSpan.FromSeconds(60), NodeConfig);
        var data = !WithYsbData ? Task.CompletedTask : Task.Run(() =>
        {
            var table = YsbData.Campaigns();
            YsbData.WriteCampaigns(Campaigns, table);
            // Enough events that a job still runs seconds after its first checkpoint, also on a quiet machine, so the
            // tests act on a running job (a graceful leave takes 2-4 s). Generated twice (same seed) instead of held.
            YsbData.WriteEvents(Input, YsbData.Generate(Events, 11, table));
            Expected = YsbData.ExpectedCounts(YsbData.Generate(Events, 11, table), table.ToDictionary(t => t.Ad, t => t.Campaign), 10_000, 5_000, watermarkEvery: RuntimeSettings.Default.PollSize);
        });
        Nodes.Add(await seed);
        var others = await Task.WhenAll(Enumerable.Range(1, InitialNodes - 1)
            .Select(_ => NodeProcess.StartAsync(StateDirectory, NodeProcess.FreePort(), seedPort, TimeSpan.FromSeconds(60), NodeConfig)));
        Nodes.AddRange(others);
        await data;
        await AllMembersUpAsync();
    }

    /// <summary>Starts one more node joining the seed, and waits until every node is an up member.</summary>
    public async Task<NodeProcess> AddNodeAsync()
    {
        var node = await NodeProcess.StartAsync(StateDirectory, NodeProcess.FreePort(), Nodes[0].Port, TimeSpan.FromSeconds(60), NodeConfig);
        Nodes.Add(node);
        await AllMembersUpAsync();
        return node;
    }

    private Task AllMembersUpAsync() => Eventually(async () =>
    {
        var members = (await GetAsync(Nodes[0], "api/overview"))!["cluster"]!["members"]!.AsArray();
        return members.Count == Nodes.Count && members.All(m => m!["status"]!.GetValue<string>() == "up");
    }, TimeSpan.FromSeconds(60), $"{Nodes.Count} members up");

    public NodeProcess AnyLiveNode => Nodes.First(n => !n.HasExited);

    public async Task<JsonNode?> GetAsync(NodeProcess node, string path)
    {
        using var response = await Http.GetAsync(new Uri(node.Http, path));
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
    }

    public async Task<(int Status, JsonNode? Body)> PostAsync(NodeProcess node, string path, object? body)
    {
        using var response = body is null ? await Http.PostAsync(new Uri(node.Http, path), null) : await Http.PostAsJsonAsync(new Uri(node.Http, path), body);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    /// <summary><c>recoflow status ID --json</c> until <paramref name="condition"/> holds; a FAILED or CANCELED job fails the test at once.</summary>
    public async Task<JsonNode> JobStatusAsync(string id, Func<JsonNode, bool> condition, TimeSpan timeout, string what)
    {
        JsonNode? status = null;
        await Eventually(async () =>
        {
            var r = await Cli.RunAsync("status", id, "--cluster", AnyLiveNode.Http.ToString(), "--json");
            status = r.Code == 0 ? JsonNode.Parse(r.Out) : null;
            var state = status?["state"]?.GetValue<string>();
            Assert.True(state is not ("FAILED" or "CANCELED"), $"job {id} {state}: {status?.ToJsonString()}");
            return status is not null && condition(status);
        }, timeout, $"job {id} {what}");
        return status!;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> and the nodes' logs otherwise.</summary>
    public Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Polling.UntilAsync(condition, timeout, what,
            e => e is HttpRequestException or TaskCanceledException or JsonException or NullReferenceException or InvalidOperationException,
            async () =>
            {
                var views = new List<string>();
                foreach (var n in Nodes.Where(n => !n.HasExited))
                {
                    try { views.Add($"{n.Address}: {(await GetAsync(n, "api/overview"))?.ToJsonString()} jobs: {(await GetAsync(n, "api/jobs"))?.ToJsonString()}"); }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { views.Add($"{n.Address}: {e.Message}"); }
                }
                return $"{string.Join("\n", views)}\n{Logs()}";
            });

    public string Logs() => string.Join("\n", Nodes.Select(n => $"--- node {n.Port} ---\n{n.Log}"));

    /// <summary>Asserts that the committed part files of <paramref name="outputDir"/> hold exactly the expected windows, each once.</summary>
    public void AssertCommittedOutputExact(string outputDir) => AssertCommittedOutputExact(outputDir, Expected);

    /// <summary>Asserts that the committed part files of <paramref name="outputDir"/> hold exactly the <paramref name="expected"/> windows, each once.</summary>
    public static void AssertCommittedOutputExact(string outputDir, IReadOnlyDictionary<(string Campaign, long WindowStart), long> expected)
    {
        var seen = new Dictionary<(string, long), long>();
        foreach (var line in CommittedFiles.ReadLines(outputDir))
        {
            var e = JsonDocument.Parse(line).RootElement;
            var key = (e.GetProperty("campaign_id").GetString()!, e.GetProperty("window_start").GetInt64());
            Assert.True(seen.TryAdd(key, e.GetProperty("count").GetInt64()), $"window {key} committed twice");
        }
        var missing = expected.Keys.Where(k => !seen.ContainsKey(k)).Take(5).ToList();
        Assert.True(missing.Count == 0, $"{expected.Keys.Count(k => !seen.ContainsKey(k))} windows missing, e.g. {string.Join(", ", missing)}");
        var extra = seen.Keys.Where(k => !expected.ContainsKey(k)).Take(5).ToList();
        Assert.True(extra.Count == 0, $"unexpected windows, e.g. {string.Join(", ", extra)}");
        var wrong = expected.Where(kv => seen[kv.Key] != kv.Value).Take(5).Select(kv => $"{kv.Key}: expected {kv.Value}, got {seen[kv.Key]}").ToList();
        Assert.True(wrong.Count == 0, "wrong counts: " + string.Join("; ", wrong));
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(Nodes.Select(n => n.DisposeAsync().AsTask()));
        Http.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>The three nodes without the YSB input (<see cref="ThreeNodeCluster.WithYsbData"/>).</summary>
public sealed class BareThreeNodeCluster : ThreeNodeCluster
{
    protected override bool WithYsbData => false;
}

/// <summary>Two nodes without the YSB input, for tests that add a third (<see cref="ThreeNodeCluster.AddNodeAsync"/>).</summary>
public sealed class TwoNodeCluster : ThreeNodeCluster
{
    protected override bool WithYsbData => false;
    protected override int InitialNodes => 2;
}
