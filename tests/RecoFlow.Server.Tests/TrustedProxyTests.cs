using System.Net;
using RecoFlow.ControlPlane;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Server.Security;

namespace RecoFlow.Server.Tests;

/// <summary>X-Forwarded-For is believed only from <c>recoflow.http.trusted-proxies</c>, and the rate limit keys on the client it names.</summary>
public sealed class TrustedProxyTests
{
    private const string Event = """{"event_id":"e","user_id":"alice","item_id":"i","type":"click","ts":1700000000000,"consent":{"personalization":true}}""";

    private static async Task<NodeHttpServer> Start(params string[] trustedProxies) =>
        await NodeHttpServer.StartAsync(
            new NodeServerOptions { Port = 0, TrustedProxies = trustedProxies },
            new NodeServices
            {
                Jobs = new LocalJobRegistry(),
                Modules = [new RecommendationEdgeModule(new RecommendationEdgeOptions { CollectRateLimit = 2, CollectRateWindow = TimeSpan.FromMinutes(5) }, new RecommendationEdgeServices { Publisher = new InMemoryEventPublisher() })],
            });

    private static async Task<HttpStatusCode> Post(HttpClient http, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "collect") { Content = new StringContent(Event) };
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var r = await http.SendAsync(request);
        return r.StatusCode;
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.0/8")]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(string proxy)
    {
        await using var server = await Start(proxy);
        using var http = new HttpClient { BaseAddress = server.Url };
        Assert.Equal(HttpStatusCode.Accepted, await Post(http, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.Accepted, await Post(http, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Post(http, "203.0.113.1"));
        // Another client behind the same proxy is not limited by the first one's requests.
        Assert.Equal(HttpStatusCode.Accepted, await Post(http, "203.0.113.2"));
        Assert.Equal(HttpStatusCode.Accepted, await Post(http, "198.51.100.7, 203.0.113.3"));
    }

    [Fact]
    public async Task From_an_untrusted_address_the_header_is_ignored()
    {
        // Loopback, where the test connects from, is not in the list (ASP.NET's default of trusting it is not kept).
        await using var server = await Start("10.9.9.9", "192.168.0.0/16");
        using var http = new HttpClient { BaseAddress = server.Url };
        Assert.Equal(HttpStatusCode.Accepted, await Post(http, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.Accepted, await Post(http, "203.0.113.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Post(http, "203.0.113.3"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Post(http, null));
    }

    [Fact]
    public async Task Without_trusted_proxies_the_header_is_ignored()
    {
        await using var server = await Start();
        using var http = new HttpClient { BaseAddress = server.Url };
        Assert.Equal(HttpStatusCode.Accepted, await Post(http, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.Accepted, await Post(http, "203.0.113.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Post(http, "203.0.113.3"));
    }

    [Theory]
    [InlineData("10.0.0.1", 1, 0)]
    [InlineData("10.0.0.0/8", 0, 1)]
    [InlineData("fd00::/8, ::1", 1, 1)]
    [InlineData(" 10.0.0.1 , , 172.16.0.0/12 ", 1, 1)]
    public void Entries_are_addresses_or_cidr_networks(string list, int addresses, int networks)
    {
        var (a, n) = TrustedProxies.Parse(list.Split(','));
        Assert.Equal((addresses, networks), (a.Count, n.Count));
    }

    [Theory]
    [InlineData("proxy.example.com")]
    [InlineData("10.0.0.0/33")]
    public void A_bad_entry_is_refused_naming_it(string entry)
    {
        var e = Assert.Throws<ArgumentException>(() => new NodeServerOptions { TrustedProxies = [entry] }.Validate());
        Assert.Contains(entry, e.Message, StringComparison.Ordinal);
    }
}
