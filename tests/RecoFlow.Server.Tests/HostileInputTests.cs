using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace RecoFlow.Server.Tests;

/// <summary>
/// /collect and /consent against hostile bodies: each gets a 4xx whose JSON error names the problem (413 past a
/// limit), a mixed batch keeps its valid events and names each refused one, and the node answers the next request.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class HostileInputTests(NodeFixture node)
{
    private static string Event(string eventId, string user = "alice", string extra = "") =>
        "{\"event_id\":\"" + eventId + "\",\"user_id\":\"" + user + "\",\"item_id\":\"item-7\",\"type\":\"click\",\"ts\":1700000000000" + extra
        + ",\"consent\":{\"personalization\":true}}";

    private static string Deep(int depth) => new string('[', depth) + new string(']', depth);

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", NodeFixture.Token);
        using var r = await node.Http.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, byte[] body) => Post(path, new ByteArrayContent(body));

    private Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, string body) => Post(path, Encoding.UTF8.GetBytes(body));

    private static string Error(JsonElement body) => body.GetProperty("error").GetString()!;

    private int PublishedWithPrefix(string prefix) =>
        node.Publisher.Published.Count(p => JsonDocument.Parse(p.Event.Value).RootElement.TryGetProperty("event_id", out var id) && id.GetString()!.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The node still serves: a valid event is accepted and the API answers.</summary>
    private async Task AssertServingAsync(string eventId)
    {
        var (status, body) = await Post("collect", Event(eventId));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        using var overview = await node.Http.GetAsync("api/overview");
        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
    }

    [Fact]
    public async Task A_ten_megabyte_collect_body_is_413_with_or_without_a_content_length()
    {
        var huge = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat(Event("huge-1"), 80_000)) + "]");
        Assert.True(huge.Length > 10_000_000);
        var (status, body) = await Post("collect", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("body exceeds 1048576 bytes", Error(body));

        var (chunked, chunkedBody) = await Post("collect", new StreamContent(new MemoryStream(huge)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked);
        Assert.Equal("body exceeds 1048576 bytes", Error(chunkedBody));
        Assert.Equal(0, PublishedWithPrefix("huge-"));
        await AssertServingAsync("after-huge");
    }

    [Fact]
    public async Task Ten_thousand_events_in_one_batch_are_413_naming_the_limit()
    {
        // Small enough events that the batch is within the body limit: the count is what is refused.
        var batch = "[" + string.Join(",", Enumerable.Range(0, 10_000).Select(i => $$"""{"event_id":"many-{{i}}","user_id":1,"item_id":1,"type":"view","ts":1}""")) + "]";
        Assert.True(batch.Length < 1 << 20);
        var (status, body) = await Post("collect", batch);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("the batch has 10000 events; at most 1000 are accepted in one request", Error(body));
        Assert.Equal(0, PublishedWithPrefix("many-"));
        await AssertServingAsync("after-many");
    }

    [Fact]
    public async Task A_full_mixed_batch_keeps_its_valid_events_and_names_each_refused_one()
    {
        string Bad(int i) => (i / 10 % 4) switch
        {
            0 => """{"event_id":"mixed-x","user_id":true,"item_id":"i","type":"click","ts":1}""",
            1 => Event($"mixed-{i}", extra: ",\"referrer\":\"https://example.com\""),
            2 => "{\"event_id\":\"mixed-deep\",\"user_id\":\"u\",\"item_id\":\"i\",\"type\":\"click\",\"ts\":1,\"context\":{\"os\":" + Deep(5) + "}}",
            _ => "\"just a string\"",
        };
        var events = Enumerable.Range(0, 1000).Select(i => i % 10 == 3 ? Bad(i) : Event($"mixed-{i}")).ToList();
        var (status, body) = await Post("collect", "[" + string.Join(",", events) + "]");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(900, body.GetProperty("accepted").GetInt32());
        Assert.Equal(100, body.GetProperty("rejected").GetInt32());
        var errors = body.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(0, 100).Select(k => k * 10 + 3), errors.Select(e => e.GetProperty("index").GetInt32()));
        var byIndex = errors.ToDictionary(e => e.GetProperty("index").GetInt32(), e => (Kind: e.GetProperty("kind").GetString(), Field: e.GetProperty("field").GetString()));
        Assert.Equal(("wrong_type", "user_id"), byIndex[3]);
        Assert.Equal(("unknown_field", "referrer"), byIndex[13]);
        Assert.Equal(("wrong_type", "context.os"), byIndex[23]);
        Assert.Equal(("malformed_json", "$"), byIndex[33]);
        Assert.Equal(900, PublishedWithPrefix("mixed-"));
        await AssertServingAsync("after-mixed");
    }

    [Fact]
    public async Task Json_nested_ten_thousand_deep_is_400_naming_the_depth()
    {
        foreach (var path in new[] { "collect", "consent" })
        {
            // 10,000 opening brackets (the closing ones would take the body past /consent's 16 KiB): the reader stops at the limit.
            var (status, body) = await Post(path, "{\"user_id\":" + new string('[', 10_000));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("maximum configured depth", Error(body), StringComparison.Ordinal);
        }
        await AssertServingAsync("after-deep");
    }

    [Fact]
    public async Task Consent_refuses_bad_utf8_oversize_bodies_wrong_types_and_unknown_fields_by_name()
    {
        var utf8 = Encoding.UTF8.GetBytes("""{"user_id":"XX","personalization":true}""");
        utf8[13] = 0xC3;
        utf8[14] = 0x28;
        var cases = new (HttpContent Body, HttpStatusCode Status, string Error)[]
        {
            (new ByteArrayContent(utf8), HttpStatusCode.BadRequest, "body is not valid UTF-8"),
            (new ByteArrayContent(new byte[10 << 20]), HttpStatusCode.RequestEntityTooLarge, "body exceeds 16384 bytes"),
            (new StringContent("""{"user_id":5,"personalization":true}"""), HttpStatusCode.BadRequest, "user_id (a non-empty string) is required"),
            (new StringContent("""{"user_id":"carol","personalization":"no"}"""), HttpStatusCode.BadRequest, "personalization (true or false) is required"),
            (new StringContent("""{"user_id":"carol","personalization":true,"admin":true}"""), HttpStatusCode.BadRequest, "unknown field 'admin': the body has user_id, personalization and user_token only"),
            (new StringContent("""{"user_id":"carol","user_id":"dave","personalization":true}"""), HttpStatusCode.BadRequest, "duplicate field 'user_id'"),
            (new StringContent("[]"), HttpStatusCode.BadRequest, "body must be a JSON object"),
        };
        foreach (var (content, expectedStatus, expectedError) in cases)
        {
            var (status, body) = await Post("consent", content);
            Assert.Equal((expectedStatus, expectedError), (status, Error(body)));
        }
        var (ok, okBody) = await Post("consent", """{"user_id":"carol","personalization":true}""");
        Assert.Equal(HttpStatusCode.Accepted, ok);
        Assert.True(okBody.GetProperty("personalization").GetBoolean());
        await AssertServingAsync("after-consent");
    }
}
