using Microsoft.Playwright;
using RecoFlow.Recommendations.Cli;
using RecoFlow.Recommendations.Edge;
using RecoFlow.TestSupport.Browser;

namespace RecoFlow.Demo.Tests;

/// <summary>
/// The demo host in-process (broker, runtime, job, server on a free port, slow simulated traffic) and its shop page in
/// headless Chromium (see <see cref="HeadlessChromium"/>).
/// </summary>
[Trait("Category", "Slow")]
public sealed class ShopTests : IAsyncLifetime
{
    private DemoHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await DemoHost.StartAsync(new DemoOptions { HttpPort = 0, Rate = 100, ModelInterval = TimeSpan.FromSeconds(1) }, CancellationToken.None);
        // Background shoppers give every category popular items before the browser arrives.
        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (_host.Models.Latest < 2 || _host.ListsPublished < 200) await Task.Delay(100, ready.Token);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Clicks_in_one_category_shift_the_live_list_to_it_and_opting_out_stops_personalisation()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var errors = new List<string>();
        var page = await chromium.NewPageAsync(errors, width: 1280);
        await page.GotoAsync(new Uri(_host.Server.Url, "shop").ToString());
        await page.WaitForSelectorAsync("body[data-ready='true'][data-ws='open'][data-tracker='ready']", new() { Timeout = 20_000 });
        // The node signed the visitor in: the page holds the collect key and a user token, never the admin token.
        Assert.DoesNotContain(_host.AdminToken, await page.ContentAsync(), StringComparison.Ordinal);
        var collectUrl = page.WaitForRequestAsync(r => r.Url.Contains("/collect?", StringComparison.Ordinal));

        const string category = "Pets";
        await page.ClickAsync($"#categories button[data-cat='{category}']");
        var items = page.Locator($"#grid .item[data-category='{category}']");
        for (int i = 0; i < 3; i++)
        {
            var posted = page.WaitForResponseAsync(r => new Uri(r.Url).AbsolutePath == "/collect" && r.Request.Method == "POST");
            await items.Nth(i * 5).ClickAsync();
            Assert.Equal(202, (await posted).Status);
        }

        // Within a second of the third click's event reaching the node, most of the list is from that category.
        try
        {
            await page.WaitForFunctionAsync(
                "cat => { const li = [...document.querySelectorAll('#recs li')]; return li.length >= 5 && li.filter(x => x.dataset.category === cat).length * 2 > li.length; }",
                category, new() { Timeout = 1_000 });
        }
        catch (TimeoutException)
        {
            await HeadlessChromium.ScreenshotAsync(page, "shop-no-shift");
            var shown = await page.Locator("#recs li").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.category)");
            Assert.Fail($"after 1 s the list is [{string.Join(", ", shown)}]; status: {await page.Locator("#rec-status").TextContentAsync()}");
        }
        var sent = new Uri((await collectUrl).Url).Query;
        Assert.Contains("key=", sent, StringComparison.Ordinal);
        Assert.Contains("user_token=", sent, StringComparison.Ordinal);
        var listed = await page.Locator("#recs li").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.category)");
        Assert.True(listed.Count(c => c == category) * 2 > listed.Length, string.Join(", ", listed));
        Assert.Equal("true", await page.Locator("#recs").GetAttributeAsync("data-personalized"));
        await HeadlessChromium.ScreenshotAsync(page, "shop-personalised");

        // Opt out: the panel switches to the popular list at once.
        var consent = page.WaitForResponseAsync(r => r.Url.EndsWith("/consent", StringComparison.Ordinal));
        await page.ClickAsync("#personalize");
        Assert.Equal(202, (await consent).Status);
        await page.WaitForSelectorAsync("#recs[data-personalized='false']", new() { Timeout = 2_000 });
        Assert.Equal("Popular right now", await page.Locator("#rec-title").TextContentAsync());

        // Further clicks are not forwarded for personalisation, and no personalised list reaches the page.
        var user = await page.EvaluateAsync<string>("() => document.body.dataset.user");
        var pseudonym = _host.Server.Pseudonymizer.Pseudonymize(user);
        var after = page.WaitForResponseAsync(r => new Uri(r.Url).AbsolutePath == "/collect" && r.Request.Method == "POST");
        await items.Nth(1).ClickAsync();
        var response = await after;
        Assert.Contains("\"not_forwarded\":1", await response.TextAsync(), StringComparison.Ordinal);
        Assert.True(_host.Server.Consent.IsOptedOut(pseudonym));
        Assert.Contains("\"personalized\":false", _host.Server.Feed.Latest(pseudonym), StringComparison.Ordinal);
        Assert.Equal("false", await page.Locator("#recs").GetAttributeAsync("data-personalized"));
        await HeadlessChromium.ScreenshotAsync(page, "shop-opted-out");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_page_registers_the_push_service_worker_and_subscribes_its_visitor()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var errors = new List<string>();
        var page = await chromium.NewPageAsync(errors, width: 1280);
        await page.GotoAsync(new Uri(_host.Server.Url, "shop").ToString());
        await page.WaitForSelectorAsync("body[data-ready='true'][data-sw='registered']", new() { Timeout = 20_000 });
        // The worker is active and controls the shop's origin; it is the node's /sw.js.
        var worker = await page.EvaluateAsync<string>("() => navigator.serviceWorker.ready.then(r => r.active.scriptURL + ' ' + r.scope)");
        Assert.Equal($"{new Uri(_host.Server.Url, "sw.js")} {new Uri(_host.Server.Url, "/")}", worker);
        Assert.True(await page.Locator("#push").IsVisibleAsync());
        Assert.False(await page.Locator("#push").IsCheckedAsync());
        // The key the page would subscribe with is the node's VAPID public key: an uncompressed P-256 point.
        var key = await page.EvaluateAsync<string>("() => fetch('/push/key').then(r => r.json()).then(k => k.public_key)");
        Assert.Equal(65, RecoFlow.Recommendations.Push.WebPushSubscription.Decode(key)?.Length);

        // Headless Chromium cannot reach its vendor's push service, so the browser's PushManager is stood in for: it hands
        // the page a subscription of the shape PushSubscription.toJSON() gives, with real P-256 keys.
        await page.Context.GrantPermissionsAsync(["notifications"], new() { Origin = _host.Server.Url.GetLeftPart(UriPartial.Authority) });
        using var browserKey = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var q = browserKey.ExportParameters(false).Q;
        var subscription = new
        {
            endpoint = "https://push.invalid/send/shop-test", expirationTime = (long?)null,
            keys = new
            {
                p256dh = System.Buffers.Text.Base64Url.EncodeToString([0x04, .. q.X!, .. q.Y!]),
                auth = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            },
        };
        await page.EvaluateAsync("""
            sub => {
              PushManager.prototype.getSubscription = () => Promise.resolve(null);
              PushManager.prototype.subscribe = function (options) {
                window.pushServerKeyBytes = new Uint8Array(options.applicationServerKey).length;
                return Promise.resolve({ toJSON: () => sub, unsubscribe: () => Promise.resolve(true) });
              };
            }
            """, subscription);
        var posted = page.WaitForResponseAsync(r => new Uri(r.Url).AbsolutePath == "/push/subscription");
        await page.ClickAsync("#push");
        Assert.Equal(202, (await posted).Status);
        await page.WaitForSelectorAsync("body[data-push='subscribed']", new() { Timeout = 5_000 });
        Assert.Equal(65, await page.EvaluateAsync<int>("() => window.pushServerKeyBytes"));

        // The subscription went through Kafka into the job's keyed state: the visitor's next lists reach the push sink,
        // which sends nothing while this page's WebSocket is open.
        var metrics = _host.Server.PushMetrics;
        var items = page.Locator("#grid .item");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var i = 0; metrics.Count("socket_open") + metrics.Count("not_material") == 0; i++)
        {
            Assert.True(DateTime.UtcNow < deadline, "no list of the subscribed visitor reached the push sink in 30 s");
            var clicked = page.WaitForResponseAsync(r => new Uri(r.Url).AbsolutePath == "/collect" && r.Request.Method == "POST");
            await items.Nth(i % 5).ClickAsync();
            await clicked;
            await Task.Delay(200);
        }
        Assert.Equal(0, metrics.Count("delivered") + metrics.Count("failed"));
        Assert.Empty(errors);
    }
}
