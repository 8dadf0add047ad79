using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Push;

namespace RecoFlow.Server.Tests.Push;

/// <summary>GET /push/key, GET /sw.js and POST /push/subscription, which puts the subscription on the capture path.</summary>
public sealed class PushEndpointTests : IAsyncLifetime
{
    private PushNode _node = null!;

    public async Task InitializeAsync() => _node = await PushNode.StartAsync();
    public async Task DisposeAsync() => await _node.DisposeAsync();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Body(string user, WebPushSubscription? s) => JsonSerializer.Serialize(new
    {
        user_id = user,
        subscription = s is null ? null : new { endpoint = s.Endpoint, expirationTime = (long?)null, keys = new { p256dh = s.P256dh, auth = s.Auth } },
    });

    [Fact]
    public async Task The_key_is_the_vapid_public_key_and_the_service_worker_is_served()
    {
        var key = await _node.Http.GetFromJsonAsync<JsonElement>("push/key");
        Assert.Equal(PushNode.Keys.PublicKey, key.GetProperty("public_key").GetString());
        Assert.DoesNotContain(PushNode.Keys.PrivateKey, key.GetRawText(), StringComparison.Ordinal);
        using var sw = await _node.Http.GetAsync("sw.js");
        Assert.Equal(HttpStatusCode.OK, sw.StatusCode);
        Assert.Equal("text/javascript", sw.Content.Headers.ContentType?.MediaType);
        Assert.Contains("addEventListener(\"push\"", await sw.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_subscription_goes_to_the_interactions_topic_keyed_by_the_users_pseudonym()
    {
        using var browser = new UserAgent();
        var subscription = browser.Subscription("https://push.example/send/abc");
        using var r = await _node.Http.PostAsync("push/subscription", Json(Body("alice", subscription)));
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        Assert.True((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("subscribed").GetBoolean());

        using var off = await _node.Http.PostAsync("push/subscription", Json(Body("alice", null)));
        Assert.Equal(HttpStatusCode.Accepted, off.StatusCode);

        var pseudonym = _node.Server.Pseudonymizer.Pseudonymize("alice");
        var published = _node.Publisher.Published;
        Assert.Equal(2, published.Count);
        Assert.All(published, p => Assert.Equal(("interactions", pseudonym), (p.Topic, p.Event.Key)));
        Assert.True(PushSubscriptionChange.TryParseControl(Encoding.UTF8.GetString(published[0].Event.Value), out var on, out _));
        Assert.Equal(pseudonym, on!.UserKey);
        Assert.Equal(subscription, on.Subscription);
        Assert.True(PushSubscriptionChange.TryParseControl(Encoding.UTF8.GetString(published[1].Event.Value), out var gone, out _));
        Assert.Null(gone!.Subscription);
        Assert.True(gone.AtMs >= on.AtMs);
    }

    [Theory]
    [InlineData("""{"user_id":"u","subscription":{"endpoint":"https://p.example/x","keys":{"p256dh":"AAAA","auth":"AAAAAAAAAAAAAAAAAAAAAA"}}}""", "p256dh")]
    [InlineData("""{"user_id":"u","subscription":{"endpoint":"ftp://p.example/x","keys":{"p256dh":"AAAA","auth":"AAAA"}}}""", "endpoint")]
    [InlineData("""{"user_id":"u"}""", "subscription")]
    [InlineData("""{"user_id":"u","subscription":null,"extra":1}""", "unknown field 'extra'")]
    [InlineData("""{"user_id":"u","subscription":{"endpoint":"https://p.example/x","keys":{"p256dh":"a","auth":"b","x":"c"}}}""", "subscription.keys.x")]
    [InlineData("""[1]""", "JSON object")]
    public async Task A_bad_body_is_refused_naming_the_problem(string body, string problem)
    {
        using var r = await _node.Http.PostAsync("push/subscription", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains(problem, (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(_node.Publisher.Published);
    }

    [Fact]
    public async Task A_user_who_opted_out_cannot_subscribe_but_can_unsubscribe()
    {
        using (var consent = await _node.Http.PostAsync("consent", Json("""{"user_id":"bob","personalization":false}""")))
            Assert.Equal(HttpStatusCode.Accepted, consent.StatusCode);
        var before = _node.Publisher.Published.Count;
        using var browser = new UserAgent();
        using var r = await _node.Http.PostAsync("push/subscription", Json(Body("bob", browser.Subscription("https://push.example/send/bob"))));
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        Assert.Equal(before, _node.Publisher.Published.Count);
        using var off = await _node.Http.PostAsync("push/subscription", Json(Body("bob", null)));
        Assert.Equal(HttpStatusCode.Accepted, off.StatusCode);
    }

    [Fact]
    public async Task Http_endpoints_are_refused_unless_allowed()
    {
        using var browser = new UserAgent();
        Assert.Null(WebPushSubscription.TryCreate("http://127.0.0.1:9/push/x", browser.Subscription("x").P256dh, browser.Subscription("x").Auth, allowHttp: false, out var error));
        Assert.Contains("https", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RecommendationEdgeOptions.From(Akka.Configuration.ConfigurationFactory.ParseString(
            "recoflow.http.push { vapid-public-key = \"" + PushNode.Keys.PublicKey + "\" }")));
        Assert.Throws<ArgumentException>(() => RecommendationEdgeOptions.From(Akka.Configuration.ConfigurationFactory.ParseString(
            "recoflow.http.push { vapid-subject = \"ops@shop.example\" }")));
    }
}
