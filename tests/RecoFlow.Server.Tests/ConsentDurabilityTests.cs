using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.ControlPlane;

namespace RecoFlow.Server.Tests;

/// <summary>
/// Opt-outs live in the erasure log that nodes share: another node refuses the user at once, a restarted node still
/// does, and an opt-in on any node lets the user's events through everywhere again. The job still sees only erasures.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ConsentDurabilityTests : IDisposable
{
    private const string Token = "consent-test-token-0123";
    private readonly string _dir = Directory.CreateTempSubdirectory("consent").FullName;
    private string LogPath => Path.Combine(_dir, "erasures.jsonl");

    private sealed class Node(NodeHttpServer server, InMemoryEventPublisher publisher) : IAsyncDisposable
    {
        public NodeHttpServer Server { get; } = server;
        public InMemoryEventPublisher Publisher { get; } = publisher;
        public HttpClient Http { get; } = new() { BaseAddress = server.Url, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Server.DisposeAsync();
        }
    }

    /// <summary>A node with the shared log and the cluster's pseudonym key (as every node of a cluster has).</summary>
    private async Task<Node> StartNodeAsync(string name)
    {
        var publisher = new InMemoryEventPublisher();
        var server = await NodeHttpServer.StartAsync(
            new NodeServerOptions { NodeName = name, Port = 0, Token = Token },
            new NodeServices
            {
                Jobs = new LocalJobRegistry(),
                Modules = [new RecommendationEdgeModule(new RecommendationEdgeOptions { PseudonymKey = NodeFixture.PseudonymKey }, new RecommendationEdgeServices { Publisher = publisher, ErasureLog = new ErasureLog(LogPath) })],
            });
        return new Node(server, publisher);
    }

    private static async Task<int> CollectForwardedAsync(Node node, string user, string eventId)
    {
        var body = "{\"event_id\":\"" + eventId + "\",\"user_id\":\"" + user + "\",\"item_id\":\"item-7\",\"type\":\"click\",\"ts\":1700000000000,\"consent\":{\"personalization\":true}}";
        using var r = await node.Http.PostAsync("collect", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var json = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        var forwarded = json.GetProperty("accepted").GetInt32();
        Assert.Equal(1, forwarded + json.GetProperty("not_forwarded").GetInt32());
        Assert.Equal(forwarded, node.Publisher.Published.Count(p => JsonDocument.Parse(p.Event.Value).RootElement.TryGetProperty("event_id", out var id) && id.GetString() == eventId));
        return forwarded;
    }

    private static async Task ConsentAsync(Node node, string user, bool personalization)
    {
        using var r = await node.Http.PostAsJsonAsync("consent", new { user_id = user, personalization });
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
    }

    [Fact]
    public async Task An_opt_out_holds_on_every_node_sharing_the_log_and_after_a_restart()
    {
        var a = await StartNodeAsync("node-a");
        await using var b = await StartNodeAsync("node-b");
        try
        {
            // Before the opt-out both nodes forward alice's events (so the refusals below can fail).
            Assert.Equal(1, await CollectForwardedAsync(a, "alice", "before-a"));
            Assert.Equal(1, await CollectForwardedAsync(b, "alice", "before-b"));

            await ConsentAsync(a, "alice", personalization: false);
            Assert.Equal(0, await CollectForwardedAsync(a, "alice", "after-a"));
            // The other node refuses her too, on its very next request; other users are untouched.
            Assert.Equal(0, await CollectForwardedAsync(b, "alice", "after-b"));
            Assert.True(b.Server.Consent.IsOptedOut(b.Server.Pseudonymizer.Pseudonymize("alice")));
            Assert.Equal(1, await CollectForwardedAsync(b, "bob", "bob-b"));
        }
        finally
        {
            await a.DisposeAsync();
        }

        // The node that took the opt-out restarts (a new process would start the same way): it still refuses her.
        await using (var restarted = await StartNodeAsync("node-a"))
        {
            Assert.Equal(1, restarted.Server.Consent.OptedOutCount);
            Assert.Equal(0, await CollectForwardedAsync(restarted, "alice", "restarted-a"));

            // Opting in again on the other node lets her new events through on both.
            await ConsentAsync(b, "alice", personalization: true);
            Assert.Equal(1, await CollectForwardedAsync(b, "alice", "optin-b"));
            Assert.Equal(1, await CollectForwardedAsync(restarted, "alice", "optin-a"));
        }
        await using (var again = await StartNodeAsync("node-a"))
            Assert.Equal(1, await CollectForwardedAsync(again, "alice", "optin-restarted-a"));

        // The job reads the same file: one erasure for alice; the opt-in undid no erasure.
        var pseudonym = new Pseudonymizer(NodeFixture.PseudonymKey).Pseudonymize("alice");
        var erasures = new ErasureLog(LogPath).Read();
        Assert.Equal([pseudonym], erasures.Keys);
    }

    [Fact]
    public void A_half_written_line_waits_for_its_end()
    {
        var log = new ErasureLog(LogPath);
        using var follower = log.FollowConsent();
        var seen = new List<(string, bool)>();
        follower.Poll((u, o) => seen.Add((u, o)));
        Assert.Empty(seen);
        log.Append(new ErasureRequest("p-1", 1));
        File.AppendAllText(LogPath, "{\"user_key\":\"p-2\",\"erased");
        follower.Poll((u, o) => seen.Add((u, o)));
        Assert.Equal([("p-1", true)], seen);
        File.AppendAllText(LogPath, "_at\":2}\n");
        log.AppendOptIn("p-1", 3);
        follower.Poll((u, o) => seen.Add((u, o)));
        Assert.Equal([("p-1", true), ("p-2", true), ("p-1", false)], seen);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
