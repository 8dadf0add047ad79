using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.ControlPlane;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Capture;

namespace RecoFlow.Server.Tests;

[Collection(NodeCollection.Name)]
public sealed class CollectTests(NodeFixture node)
{
    private static string Event(string eventId, string user = "alice", string type = "click", string? extra = null, bool consent = true) =>
        "{\"event_id\":\"" + eventId + "\",\"user_id\":\"" + user + "\",\"item_id\":\"item-7\",\"type\":\"" + type + "\",\"ts\":1700000000000" + extra
        + ",\"consent\":{\"personalization\":" + (consent ? "true" : "false") + "}}";

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(byte[] body, string? token = NodeFixture.Token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "collect") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var r = await node.Http.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> Post(string body, string? token = NodeFixture.Token) => Post(Encoding.UTF8.GetBytes(body), token);

    private IReadOnlyList<JsonElement> Published(string eventIdPrefix) =>
        node.Publisher.Published.Select(p => JsonDocument.Parse(p.Event.Value).RootElement.Clone())
            .Where(e => e.GetProperty("event_id").GetString()!.StartsWith(eventIdPrefix, StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task A_valid_event_is_minimised_pseudonymised_and_published()
    {
        var (status, body) = await Post(Event("ok-1", extra: ""","context":{"ip":"203.0.113.9","lat":48.85,"lon":2.35,"timezone":"Europe/Paris","user_agent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"}"""));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("rejected").GetInt32());

        var (topic, published) = Assert.Single(node.Publisher.Published, p => JsonDocument.Parse(p.Event.Value).RootElement.GetProperty("event_id").GetString() == "ok-1");
        Assert.Equal("interactions", topic);
        var pseudonym = new Pseudonymizer(NodeFixture.PseudonymKey).Pseudonymize("alice");
        Assert.Equal(pseudonym, published.Key);
        var json = Encoding.UTF8.GetString(published.Value);
        Assert.DoesNotContain("alice", json, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.9", json, StringComparison.Ordinal);
        Assert.DoesNotContain("48.85", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Mozilla", json, StringComparison.Ordinal);
        // What is published parses with the job's parser, with the context reduced to coarse features.
        var parsed = new InteractionParser().Parse(json);
        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        Assert.Equal(pseudonym, parsed.Event!.UserId);
        Assert.Equal(InteractionType.Click, parsed.Event.Type);
        Assert.Equal("Europe/Paris", parsed.Event.Context.Timezone);
        Assert.Equal("mobile", parsed.Event.Context.DeviceType);
        Assert.Equal("ios", parsed.Event.Context.Os);
    }

    [Fact]
    public async Task Events_without_personalisation_consent_are_accepted_but_not_forwarded()
    {
        var (status, body) = await Post(Event("noconsent-1", consent: false));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        Assert.Equal(1, body.GetProperty("not_forwarded").GetInt32());
        Assert.Contains("consent", body.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Empty(Published("noconsent-"));
    }

    [Fact]
    public async Task A_batch_reports_each_bad_event_by_index_and_still_accepts_the_good_ones()
    {
        var batch = "[" + string.Join(",",
            Event("batch-0"),
            """{"event_id":"batch-1","user_id":"bob","item_id":"i","type":"click"}""",
            Event("batch-2", type: "teleport"),
            """{"event_id":"batch-3","user_id":"bob","item_id":"i","type":"rating","value":"five","ts":1}""",
            Event("batch-4", type: "view"),
            "42") + "]";
        var (status, body) = await Post(batch);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(4, body.GetProperty("rejected").GetInt32());
        var errors = body.GetProperty("errors").EnumerateArray().ToDictionary(e => e.GetProperty("index").GetInt32());
        Assert.Equal([1, 2, 3, 5], errors.Keys.Order());
        Assert.Equal("missing_field", errors[1].GetProperty("kind").GetString());
        Assert.Equal("ts", errors[1].GetProperty("field").GetString());
        Assert.Equal("unknown_type", errors[2].GetProperty("kind").GetString());
        Assert.Contains("'teleport'", errors[2].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("wrong_type", errors[3].GetProperty("kind").GetString());
        Assert.Equal("value", errors[3].GetProperty("field").GetString());
        Assert.Equal("malformed_json", errors[5].GetProperty("kind").GetString());
        Assert.Equal(["batch-0", "batch-4"], Published("batch-").Select(e => e.GetProperty("event_id").GetString()).Order());
    }

    [Fact]
    public async Task An_unknown_event_type_is_400_naming_the_type()
    {
        var (status, body) = await Post(Event("unknown-1", type: "hover"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(0, error.GetProperty("index").GetInt32());
        Assert.Contains("'hover'", error.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(Published("unknown-"));
    }

    [Fact]
    public async Task A_wrongly_typed_field_is_400()
    {
        var (status, body) = await Post("""{"event_id":"wrong-1","user_id":true,"item_id":"i","type":"click","ts":1}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal("user_id", error.GetProperty("field").GetString());
        Assert.Equal("wrong_type", error.GetProperty("kind").GetString());
        Assert.Empty(Published("wrong-"));
    }

    [Fact]
    public async Task A_body_over_one_megabyte_is_413()
    {
        var padding = new string(' ', 1 << 20);
        var (status, _) = await Post(Event("big-1") + padding);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Empty(Published("big-"));
        // Just under the limit is fine.
        var (ok, _) = await Post(Event("big-2") + new string(' ', (1 << 20) - 400));
        Assert.Equal(HttpStatusCode.Accepted, ok);
    }

    [Fact]
    public async Task Invalid_utf8_is_400()
    {
        var bytes = Encoding.UTF8.GetBytes(Event("utf-1", user: "XX")).ToList();
        var at = bytes.IndexOf((byte)'X');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28; // 0xC3 0x28: a lead byte without its continuation
        var (status, body) = await Post([.. bytes]);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("UTF-8", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(Published("utf-"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("\"a string\"")]
    public async Task A_body_that_is_no_event_is_400(string body)
    {
        var (status, response) = await Post(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrEmpty(response.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Without_the_token_writes_are_401_and_nothing_is_published()
    {
        var (status, _) = await Post(Event("anon-1"), token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Empty(Published("anon-"));
    }

    [Fact]
    public async Task Each_client_is_rate_limited_with_429()
    {
        var publisher = new InMemoryEventPublisher();
        await using var server = await NodeHttpServer.StartAsync(
            new NodeServerOptions { Port = 0 },
            new NodeServices
            {
                Jobs = new LocalJobRegistry(),
                Modules = [new RecommendationEdgeModule(new RecommendationEdgeOptions { CollectRateLimit = 3, CollectRateWindow = TimeSpan.FromMinutes(1) }, new RecommendationEdgeServices { Publisher = publisher })],
            });
        using var http = new HttpClient { BaseAddress = server.Url };
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var r = await http.PostAsync("collect", new StringContent(Event($"rl-{i}")));
            codes.Add(r.StatusCode);
        }
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], codes);
        Assert.Equal(3, publisher.Published.Count);
    }

    [Fact]
    public async Task The_tracker_script_is_served()
    {
        using var r = await node.Http.GetAsync("tracker.js");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/javascript", r.Content.Headers.ContentType?.MediaType);
        var js = await r.Content.ReadAsStringAsync();
        Assert.Contains("/collect", js, StringComparison.Ordinal);
        Assert.Contains("dwell", js, StringComparison.Ordinal);
        Assert.Contains("scroll", js, StringComparison.Ordinal);
    }
}
