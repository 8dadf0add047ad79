using System.Text.Json.Nodes;
using RecoFlow.Jobs.Ysb;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Misconfigured state directories end with a clear refusal, with real node processes: a second process on a node's
/// state directory exits with 2 naming the node's pid; nodes with their own state directories refuse a job.
/// </summary>
[Trait("Category", "Slow")]
public sealed class StateDirectoryRefusalTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-refusal").FullName;
    private readonly List<NodeProcess> _nodes = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30), DefaultRequestHeaders = { Authorization = new("Bearer", Cli.Token) } };

    public Task InitializeAsync() => Task.CompletedTask;

    private string Logs() => string.Join("\n", _nodes.Select(n => $"--- node {n.Port} ---\n{n.Log}"));

    private (string Input, string Campaigns) YsbInput()
    {
        var table = YsbData.Campaigns();
        var campaigns = Path.Combine(_dir, "campaigns.csv");
        var input = Path.Combine(_dir, "events.jsonl");
        YsbData.WriteCampaigns(campaigns, table);
        YsbData.WriteEvents(input, YsbData.Generate(1_000, 3, table));
        return (input, campaigns);
    }

    [Fact]
    public async Task A_run_or_a_node_of_another_cluster_on_a_nodes_state_directory_exits_with_2_naming_its_pid()
    {
        var state = Path.Combine(_dir, "state");
        var node = await NodeProcess.StartAsync(state, NodeProcess.FreePort(), null, TimeSpan.FromSeconds(60));
        _nodes.Add(node);
        var (input, campaigns) = YsbInput();

        var run = await Cli.RunAsync("run", "ysb", "--param", $"input={input}", "--param", $"campaigns={campaigns}",
            "--param", $"output={Path.Combine(_dir, "out")}", "--state-dir", state);
        Assert.True(run.Code == 2, $"exit {run.Code}: {run.Err}");
        Assert.Contains($"is in use by process {node.Pid} (recoflow node {node.Address})", run.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));

        // A node that seeds itself is a cluster of its own: it may not share the directory with the first.
        var other = await Assert.ThrowsAsync<InvalidOperationException>(() => NodeProcess.StartAsync(state, NodeProcess.FreePort(), null, TimeSpan.FromSeconds(60)));
        Assert.Contains("exited with 2", other.Message, StringComparison.Ordinal);
        Assert.Contains($"process {node.Pid} (recoflow node {node.Address}), a node of another cluster", other.Message, StringComparison.Ordinal);
        Assert.False(node.HasExited);
    }

    [Fact]
    public async Task A_node_with_its_own_state_directory_refuses_to_join_naming_the_nodes_and_the_setting()
    {
        var seedPort = NodeProcess.FreePort();
        _nodes.Add(await NodeProcess.StartAsync(Path.Combine(_dir, "state-a"), seedPort, null, TimeSpan.FromSeconds(60)));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            NodeProcess.StartAsync(Path.Combine(_dir, "state-b"), NodeProcess.FreePort(), seedPort, TimeSpan.FromSeconds(60)));
        Assert.Contains("exited with 2", refused.Message, StringComparison.Ordinal);
        Assert.Contains("refused to join: it uses state directory " + Path.Combine(_dir, "state-b"), refused.Message, StringComparison.Ordinal);
        Assert.Contains($"{_nodes[0].Address} uses state directory {Path.Combine(_dir, "state-a")}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--state-dir", refused.Message, StringComparison.Ordinal);

        // The refused node left: the cluster is the first node alone again, and it runs no job.
        await Polling.UntilAsync(async () =>
        {
            using var response = await _http.GetAsync(new Uri(_nodes[0].Http, "api/overview"));
            var members = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["cluster"]!["members"]!.AsArray();
            return members.Count == 1;
        }, TimeSpan.FromSeconds(60), "the refused node gone", e => e is HttpRequestException or TaskCanceledException or NullReferenceException, () => Task.FromResult(Logs()));
        Assert.False(_nodes[0].HasExited);
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _http.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
