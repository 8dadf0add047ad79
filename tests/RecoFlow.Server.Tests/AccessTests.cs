using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RecoFlow.Server.Tests;

/// <summary>
/// Who may do what, route by route and key by key, against a real node with every key set: the table of
/// docs/http-api.md ("Security"). A key is a combination of parts joined by " + ".
/// </summary>
public sealed class AccessTests(AccessNode node) : IClassFixture<AccessNode>
{
    private const string Jobs = "POST /api/jobs", Cancel = "POST /api/jobs/job-1/cancel", Savepoint = "POST /api/jobs/job-1/savepoint", Stop = "POST /api/jobs/job-1/stop?savepoint=true";
    private const string Collect = "POST /collect", Consent = "POST /consent", Latest = "GET /recommendations/alice", Socket = "WS /ws/recommendations?user=alice";

    public static TheoryData<string, string, int> Table()
    {
        var rows = new TheoryData<string, string, int>();
        foreach (var route in new[] { Jobs, Cancel, Savepoint, Stop })
        {
            var ok = route == Jobs ? 201 : route == Cancel ? 202 : 200;
            rows.Add(route, "none", 401);
            rows.Add(route, "wrong key", 401);
            rows.Add(route, "collect key", 403);
            rows.Add(route, "collect key in query", 403);
            rows.Add(route, "collect key + user token", 403);
            rows.Add(route, "user token", 401);
            rows.Add(route, "admin token in query", 401);
            rows.Add(route, "admin token", ok);
        }
        foreach (var route in new[] { Collect, Consent })
        {
            rows.Add(route, "none", 401);
            rows.Add(route, "wrong key", 401);
            rows.Add(route, "user token", 401);
            rows.Add(route, "admin token in query", 401);
            rows.Add(route, "collect key", 401);
            rows.Add(route, "collect key in query", 401);
            rows.Add(route, "collect key + other user's token", 403);
            rows.Add(route, "collect key + expired user token", 403);
            rows.Add(route, "collect key + user token", 202);
            rows.Add(route, "collect key in query + user token in query", 202);
            rows.Add(route, "collect key + user token in body", 202);
            rows.Add(route, "admin token", 202);
        }
        foreach (var route in new[] { Latest, Socket })
        {
            var ok = route == Latest ? 200 : 101;
            rows.Add(route, "none", 401);
            rows.Add(route, "wrong key", 401);
            rows.Add(route, "collect key", 401);
            rows.Add(route, "other user's token", 403);
            rows.Add(route, "expired user token", 403);
            rows.Add(route, "user token", ok);
            rows.Add(route, "user token in query", ok);
            rows.Add(route, "admin token", ok);
        }
        foreach (var route in new[] { "GET /api/jobs", "GET /api/overview", "GET /shop", "GET /tracker.js" }) rows.Add(route, "none", 200);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public async Task Route_and_key_give_the_status_of_the_access_table(string route, string key, int expected) =>
        Assert.Equal(expected, await Send(route, key));

    [Fact]
    public async Task A_batch_keeps_the_events_of_the_proven_user_and_refuses_the_others_by_index()
    {
        var alice = Event("mixed-a", "alice", AccessNode.UserToken("alice"));
        var bob = Event("mixed-b", "bob", userToken: null);
        var carol = Event("mixed-c", "carol", AccessNode.UserToken("alice"));
        var (status, body) = await PostCollect($"[{alice},{bob},{carol}]", AccessNode.CollectKey);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(1, body["accepted"]!.GetValue<int>());
        var errors = body["errors"]!.AsArray().ToDictionary(e => e!["index"]!.GetValue<int>(), e => e!["kind"]!.GetValue<string>());
        Assert.Equal(new Dictionary<int, string> { [1] = "no_user_token", [2] = "bad_user_token" }, errors);
        Assert.Equal(["mixed-a"], PublishedIds("mixed-"));
    }

    [Fact]
    public async Task The_admin_token_collects_in_any_users_name()
    {
        var (status, body) = await PostCollect($"[{Event("server-a", "alice", null)},{Event("server-b", "bob", null)}]", AccessNode.AdminToken);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(2, body["accepted"]!.GetValue<int>());
        Assert.Equal(["server-a", "server-b"], PublishedIds("server-").Order());
    }

    [Fact]
    public async Task With_anonymous_writes_the_collect_key_is_still_no_admin_key()
    {
        await using var open = await NodeHttpServer.StartAsync(new NodeServerOptions { Port = 0, CollectKey = AccessNode.CollectKey }, new NodeServices { Jobs = new RecoFlow.ControlPlane.LocalJobRegistry() });
        using var http = new HttpClient { BaseAddress = open.Url };
        using (var r = await http.SendAsync(Request(HttpMethod.Post, "api/jobs/nope/cancel", "collect key")))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await http.SendAsync(Request(HttpMethod.Post, "api/jobs/nope/cancel", "none")))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
    }

    [Fact]
    public async Task Refusals_name_the_cause()
    {
        using var http = new HttpClient { BaseAddress = node.Server.Url };
        using (var r = await http.SendAsync(Request(HttpMethod.Post, "api/jobs/job-1/cancel", "collect key")))
            Assert.Contains("admin token", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using (var r = await http.SendAsync(Request(HttpMethod.Post, "collect", "none", Event("why-1", "alice", null))))
        {
            Assert.Equal("Bearer", r.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Contains("collect key", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var r = await http.SendAsync(Request(HttpMethod.Get, "recommendations/alice", "expired user token")))
            Assert.Contains("expired", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using (var r = await http.SendAsync(Request(HttpMethod.Get, "recommendations/alice", "other user's token")))
            Assert.Contains("not valid for user 'alice'", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shop_page_embeds_the_collect_key_and_a_token_for_its_visitor_never_the_admin_token_or_the_secret()
    {
        using var handler = new HttpClientHandler { UseCookies = true };
        using var browser = new HttpClient(handler) { BaseAddress = node.Server.Url };
        var first = await ShopSettings(browser);
        Assert.Equal(AccessNode.CollectKey, first["collect_key"]!.GetValue<string>());
        var user = first["user"]!.GetValue<string>();
        Assert.StartsWith("visitor-", user, StringComparison.Ordinal);
        Assert.Equal(RecoFlow.Server.Security.UserTokenCheck.Valid, AccessNode.Users.Verify(user, first["user_token"]!.GetValue<string>(), DateTimeOffset.UtcNow));

        // The same browser (its cookie) is the same visitor; another browser, or a cookie naming someone else, is a new one.
        Assert.Equal(user, (await ShopSettings(browser))["user"]!.GetValue<string>());
        using var other = new HttpClient { BaseAddress = node.Server.Url };
        Assert.NotEqual(user, (await ShopSettings(other))["user"]!.GetValue<string>());
        using var forged = new HttpRequestMessage(HttpMethod.Get, "shop");
        forged.Headers.Add("Cookie", "recoflow_visitor=" + user + ".9999999999.forged");
        using var forgedPage = await other.SendAsync(forged);
        Assert.NotEqual(user, Settings(await forgedPage.Content.ReadAsStringAsync())["user"]!.GetValue<string>());
    }

    private static async Task<JsonNode> ShopSettings(HttpClient http)
    {
        var html = await http.GetStringAsync("shop");
        Assert.DoesNotContain(AccessNode.AdminToken, html, StringComparison.Ordinal);
        Assert.DoesNotContain(AccessNode.UserSecret, html, StringComparison.Ordinal);
        return Settings(html);
    }

    private static JsonNode Settings(string html)
    {
        const string marker = "var shop = ";
        var start = html.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        return JsonNode.Parse(html[start..html.IndexOf(";\n", start, StringComparison.Ordinal)])!;
    }

    private async Task<int> Send(string route, string key)
    {
        var space = route.IndexOf(' ', StringComparison.Ordinal);
        var (verb, path) = (route[..space], route[(space + 2)..]);
        if (verb == "WS") return await Connect(path, key);
        string? body = path switch
        {
            "api/jobs" => """{"job":"ysb"}""",
            "collect" => Event("table-" + Guid.NewGuid().ToString("N"), "alice", Has(key, "user token in body") ? AccessNode.UserToken("alice") : null),
            "consent" => Has(key, "user token in body")
                ? $$"""{"user_id":"alice","personalization":true,"user_token":"{{AccessNode.UserToken("alice")}}"}"""
                : """{"user_id":"alice","personalization":true}""",
            _ => null,
        };
        using var http = new HttpClient { BaseAddress = node.Server.Url };
        using var response = await http.SendAsync(Request(new HttpMethod(verb), path, key, body));
        return (int)response.StatusCode;
    }

    private async Task<int> Connect(string path, string key)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        var (bearer, headerToken, query) = Presented(key);
        if (bearer is not null) ws.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        if (headerToken is not null) ws.Options.SetRequestHeader("X-RecoFlow-User-Token", headerToken);
        var url = new Uri(new Uri(node.Server.Url.ToString().Replace("http://", "ws://", StringComparison.Ordinal)), With(path, query));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await ws.ConnectAsync(url, timeout.Token);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            return 101;
        }
        catch (WebSocketException)
        {
            return (int)ws.HttpStatusCode;
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string key, string? body = null)
    {
        var (bearer, headerToken, query) = Presented(key);
        var request = new HttpRequestMessage(method, With(path, query));
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (headerToken is not null) request.Headers.Add("X-RecoFlow-User-Token", headerToken);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return request;
    }

    /// <summary>What a key of the table presents: a Bearer value, a user-token header, query parameters.</summary>
    private static (string? Bearer, string? HeaderToken, List<string> Query) Presented(string key)
    {
        string? bearer = null, header = null;
        var query = new List<string>();
        foreach (var part in key.Split(" + "))
        {
            switch (part)
            {
                case "none": break;
                case "wrong key": bearer = "not-a-key-0123456789"; break;
                case "collect key": bearer = AccessNode.CollectKey; break;
                case "collect key in query": query.Add("key=" + AccessNode.CollectKey); break;
                case "admin token": bearer = AccessNode.AdminToken; break;
                case "admin token in query": query.Add("key=" + AccessNode.AdminToken); break;
                case "user token": header = AccessNode.UserToken("alice"); break;
                case "user token in query": query.Add("user_token=" + Uri.EscapeDataString(AccessNode.UserToken("alice"))); break;
                case "user token in body": break;
                case "other user's token": header = AccessNode.UserToken("bob"); break;
                case "expired user token": header = AccessNode.Users.Issue("alice", DateTimeOffset.UtcNow.AddMinutes(-1)); break;
                default: throw new ArgumentException($"unknown key part '{part}'");
            }
        }
        return (bearer, header, query);
    }

    private static bool Has(string key, string part) => key.Split(" + ").Contains(part);

    private static string With(string path, List<string> query) =>
        query.Count == 0 ? path : path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + string.Join("&", query);

    private static string Event(string eventId, string user, string? userToken) =>
        $$"""{"event_id":"{{eventId}}","user_id":"{{user}}","item_id":"item-7","type":"click","ts":1700000000000,"consent":{"personalization":true}{{(userToken is null ? "" : $",\"user_token\":\"{userToken}\"")}}}""";

    private async Task<(HttpStatusCode Status, JsonNode Body)> PostCollect(string body, string bearer)
    {
        using var http = new HttpClient { BaseAddress = node.Server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, "collect") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var r = await http.SendAsync(request);
        return (r.StatusCode, JsonNode.Parse(await r.Content.ReadAsStringAsync())!);
    }

    private List<string> PublishedIds(string prefix) =>
        [.. node.Publisher.Published.Select(p => JsonDocument.Parse(p.Event.Value).RootElement.GetProperty("event_id").GetString()!).Where(id => id.StartsWith(prefix, StringComparison.Ordinal))];
}
