using System.Net;
using System.Net.WebSockets;
using System.Text;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Delivery;

namespace RecoFlow.Server.Tests;

[Collection(NodeCollection.Name)]
public sealed class DeliveryTests(NodeFixture node)
{
    private string Pseudonym(string user) => node.Server.Pseudonymizer.Pseudonymize(user);

    [Fact]
    public async Task Latest_is_404_until_a_list_is_published_then_the_list()
    {
        using (var none = await node.Http.GetAsync("recommendations/carol"))
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        node.Server.Feed.Publish(Pseudonym("carol"), """{"items":["a","b"]}""");
        using var r = await node.Http.GetAsync("recommendations/carol");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"items":["a","b"]}""", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_websocket_pushes_the_latest_at_once_then_each_new_list()
    {
        var user = "dave";
        var feed = (InMemoryRecommendationFeed)node.Server.Feed;
        node.Server.Feed.Publish(Pseudonym(user), """{"v":1}""");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var uri = new Uri(new Uri(node.Server.Url.ToString().Replace("http://", "ws://", StringComparison.Ordinal)), $"ws/recommendations?user={user}");

        using (var ws = new ClientWebSocket())
        {
            await ws.ConnectAsync(uri, timeout.Token);
            Assert.Equal("""{"v":1}""", await Receive(ws, timeout.Token));
            node.Server.Feed.Publish(Pseudonym(user), """{"v":2}""");
            Assert.Equal("""{"v":2}""", await Receive(ws, timeout.Token));
            node.Server.Feed.Publish(Pseudonym("someone-else"), """{"v":"other"}""");
            node.Server.Feed.Publish(Pseudonym(user), """{"v":3}""");
            Assert.Equal("""{"v":3}""", await Receive(ws, timeout.Token));
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
        // The server drops the subscription once the client has gone.
        await Eventually.Until(() => Task.FromResult(feed.SubscriberCount(Pseudonym(user))), n => n == 0, what: "subscription removed");

        using (var again = new ClientWebSocket())
        {
            await again.ConnectAsync(uri, timeout.Token);
            Assert.Equal("""{"v":3}""", await Receive(again, timeout.Token));
            await again.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
    }

    [Fact]
    public async Task The_websocket_needs_a_user()
    {
        using var ws = new ClientWebSocket();
        var uri = new Uri(node.Server.Url.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "ws/recommendations");
        await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task A_slow_subscriber_keeps_the_newest_lists()
    {
        var feed = new InMemoryRecommendationFeed();
        using var sub = feed.Subscribe("u");
        for (var i = 0; i < 100; i++) feed.Publish("u", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var got = new List<string>();
        while (sub.Lists.TryRead(out var list)) got.Add(list);
        Assert.Equal("99", got[^1]);
        Assert.True(got.Count <= 8);
        Assert.Equal("99", feed.Latest("u"));
        await Task.CompletedTask;
    }

    private static async Task<string> Receive(ClientWebSocket ws, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var total = 0;
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer.AsMemory(total), cancellationToken);
            Assert.Equal(WebSocketMessageType.Text, r.MessageType);
            total += r.Count;
            if (r.EndOfMessage) return Encoding.UTF8.GetString(buffer, 0, total);
        }
    }
}
