using System.Text;
using System.Text.Json;
using RecoFlow.Api.Connectors;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Delivery;
using RecoFlow.Recommendations.Edge.Push;
using RecoFlow.Recommendations.Push;

namespace RecoFlow.Server.Tests.Push;

/// <summary>
/// Web Push through Lib.Net.Http.WebPush to a local push service, which checks the VAPID authorization and decrypts the
/// aes128gcm payload with the subscription's keys, as a browser's push service and the browser would.
/// </summary>
public sealed class WebPushDeliveryTests : IAsyncLifetime
{
    private PushNode _node = null!;
    private LocalPushService _push = null!;
    private readonly UserAgent _browser = new();

    public async Task InitializeAsync()
    {
        _node = await PushNode.StartAsync();
        _push = await LocalPushService.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _push.DisposeAsync();
        await _node.DisposeAsync();
        _browser.Dispose();
    }

    private string Pseudonym(string user) => _node.Server.Pseudonymizer.Pseudonymize(user);

    private PushCandidate Candidate(string user, string[] previous, string[] items) =>
        new(Pseudonym(user), _browser.Subscription(_push.Endpoint(user)), previous, items, 7, "e-1", 1_767_261_600_000);

    private static ISinkWriter<PushCandidate> Writer(PushSink sink) => sink.CreateWriter(new SinkContext(0, 1, "push", new Dictionary<string, string>(), null));

    private JsonElement Open(LocalPushService.Request request)
    {
        Assert.Equal("aes128gcm", request.ContentEncoding);
        UserAgent.CheckVapid(request.Authorization, PushNode.Keys.PublicKey, _push.Url);
        return JsonDocument.Parse(_browser.Decrypt(request.Body)).RootElement.Clone();
    }

    [Fact]
    public async Task The_sender_posts_an_encrypted_vapid_authenticated_message_the_subscription_can_decrypt()
    {
        using var sender = new WebPushSender(PushNode.Keys, new WebPushOptions { VapidSubject = "mailto:ops@shop.example", TimeToLive = TimeSpan.FromMinutes(5) });
        var (outcome, reason) = await sender.SendAsync(_browser.Subscription(_push.Endpoint("s1")), """{"hello":"world"}""", CancellationToken.None);
        Assert.True(outcome == PushOutcome.Delivered, reason);

        var request = await _push.NextAsync();
        Assert.Equal("/push/s1", request.Path);
        Assert.Equal("300", request.Ttl);
        Assert.Equal("recommendations", request.Topic);
        Assert.Equal("aes128gcm", request.ContentEncoding);
        var claims = UserAgent.CheckVapid(request.Authorization, PushNode.Keys.PublicKey, _push.Url);
        Assert.Equal("mailto:ops@shop.example", claims.GetProperty("sub").GetString());
        Assert.Equal("""{"hello":"world"}""", Encoding.UTF8.GetString(_browser.Decrypt(request.Body)));

        // Another subscription's keys cannot read it.
        using var stranger = new UserAgent();
        Assert.ThrowsAny<Exception>(() => stranger.Decrypt(request.Body));
    }

    [Fact]
    public async Task The_sink_notifies_a_user_without_an_open_websocket_with_the_new_top_items()
    {
        var sink = _node.Server.PushSink(id => "Title of " + id);
        using (var writer = Writer(sink))
        {
            writer.Write(Candidate("alice", ["a", "b", "c", "d"], ["d", "a", "b", "c", "e", "f"]), 0);
            writer.Flush(false);
        }
        var payload = Open(await _push.NextAsync());
        Assert.Equal(["d", "a", "b", "c", "e"], payload.GetProperty("items").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal("Title of d", payload.GetProperty("titles")[0].GetString());
        Assert.Equal(7, payload.GetProperty("model_version").GetInt64());
        Assert.Equal(1, _node.Server.PushMetrics.Count("delivered"));
    }

    [Fact]
    public async Task The_sink_skips_open_websockets_small_changes_opted_out_users_and_pushes_within_the_interval()
    {
        var sink = _node.Server.PushSink();
        using var writer = Writer(sink);
        using (var socket = _node.Server.Feed.Subscribe(Pseudonym("alice")))
        {
            writer.Write(Candidate("alice", ["a"], ["z"]), 0);          // a page is open: the WebSocket shows it
            writer.Flush(false);
            Assert.Equal(1, _node.Server.PushMetrics.Count("socket_open"));
        }
        writer.Write(Candidate("alice", ["a", "b", "c"], ["c", "a"]), 0);  // not a material change
        writer.Write(Candidate("alice", ["a"], ["z"]), 0);                 // pushed
        writer.Write(Candidate("alice", ["z"], ["y"]), 0);                 // within the interval
        using (var consent = await _node.Http.PostAsync("consent", new StringContent("""{"user_id":"carol","personalization":false}""", Encoding.UTF8, "application/json")))
            Assert.True(consent.IsSuccessStatusCode);
        writer.Write(Candidate("carol", [], ["a"]), 0);                    // opted out
        writer.Flush(false);

        var payload = Open(await _push.NextAsync());
        Assert.Equal("z", payload.GetProperty("items")[0].GetString());
        Assert.Null(_push.TryNext());
        var m = _node.Server.PushMetrics;
        Assert.Equal((1, 1, 1, 1), (m.Count("not_material"), m.Count("delivered"), m.Count("rate_limited"), m.Count("no_consent")));
    }

    [Fact]
    public async Task A_gone_subscription_is_unsubscribed_through_the_interactions_topic()
    {
        _push.Status = 410;
        using (var writer = Writer(_node.Server.PushSink()))
        {
            writer.Write(Candidate("dave", [], ["a"]), 0);
            writer.Flush(false);
        }
        await _push.NextAsync();
        Assert.Equal(1, _node.Server.PushMetrics.Count("gone"));
        var published = Assert.Single(_node.Publisher.Published);
        Assert.Equal(Pseudonym("dave"), published.Event.Key);
        Assert.True(PushSubscriptionChange.TryParseControl(Encoding.UTF8.GetString(published.Event.Value), out var change, out _));
        Assert.Equal((Pseudonym("dave"), (WebPushSubscription?)null), (change!.UserKey, change.Subscription));

        // A failure other than gone is counted and not retried.
        _push.Status = 500;
        using (var writer = Writer(_node.Server.PushSink()))
        {
            writer.Write(Candidate("erin", [], ["a"]), 0);
            writer.Flush(false);
        }
        await _push.NextAsync();
        Assert.Equal(1, _node.Server.PushMetrics.Count("failed"));
        Assert.Null(_push.TryNext());
        Assert.Single(_node.Publisher.Published);
    }

    [Fact]
    public async Task Opting_out_forgets_the_time_of_the_users_latest_notification()
    {
        async Task Consent(bool on)
        {
            using var r = await _node.Http.PostAsync("consent", new StringContent($$"""{"user_id":"frank","personalization":{{(on ? "true" : "false")}}}""", Encoding.UTF8, "application/json"));
            Assert.True(r.IsSuccessStatusCode);
        }
        using var writer = Writer(_node.Server.PushSink());
        writer.Write(Candidate("frank", [], ["a"]), 0);
        writer.Flush(false);
        await _push.NextAsync();
        await Consent(false);
        await Consent(true);
        // Within the interval, but the interval started with data the opt-out erased.
        writer.Write(Candidate("frank", ["a"], ["z"]), 0);
        writer.Flush(false);
        Assert.Equal("z", Open(await _push.NextAsync()).GetProperty("items")[0].GetString());
        Assert.Equal((2, 0), (_node.Server.PushMetrics.Count("delivered"), _node.Server.PushMetrics.Count("rate_limited")));
    }
}
