using System.Globalization;
using Microsoft.Playwright;

namespace RecoFlow.Server.Tests;

/// <summary>Opens the dashboard in headless Chromium (RECOFLOW_CHROMIUM, default /usr/bin/chromium; never downloaded).</summary>
[Collection(NodeCollection.Name)]
public sealed class DashboardTests(NodeFixture node)
{
    private static string ChromiumPath => Environment.GetEnvironmentVariable("RECOFLOW_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private static string ArtifactsDirectory
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("RECOFLOW_TEST_ARTIFACTS") is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), "recoflow-test-artifacts");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    [Fact]
    public async Task The_dashboard_draws_the_job_graph_and_live_throughput()
    {
        Assert.True(File.Exists(ChromiumPath), $"Chromium not found at {ChromiumPath} (set RECOFLOW_CHROMIUM)");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(node.Server.Url.ToString());

        // The graph: one box per vertex, with the operator names.
        await page.WaitForSelectorAsync("#graph g.vertex", new PageWaitForSelectorOptions { Timeout = 20_000 });
        var job = await node.Http.GetStringAsync($"api/jobs/{node.YsbJobId}");
        var vertexCount = System.Text.Json.JsonDocument.Parse(job).RootElement.GetProperty("graph").GetProperty("vertices").GetArrayLength();
        Assert.Equal(vertexCount, await page.Locator("#graph g.vertex").CountAsync());
        var graphText = await page.Locator("#graph").TextContentAsync() ?? "";
        Assert.Contains("ad events", graphText, StringComparison.Ordinal);
        Assert.Contains("p=1", graphText, StringComparison.Ordinal);

        // Throughput: a positive number that changes from one poll to the next.
        var read = page.Locator("#throughput-read");
        var first = await Eventually.Until(async () => await read.TextContentAsync() ?? "", t => Positive(t), what: "a positive throughput");
        await Eventually.Until(async () => await page.Locator("#status").TextContentAsync() ?? "", _ => true);
        var firstStatus = await page.Locator("#status").TextContentAsync();
        await Eventually.Until(async () => await page.Locator("#status").TextContentAsync(), s => s != firstStatus, what: "the next poll");
        Assert.True(await page.Locator("#tasks tbody tr").CountAsync() >= vertexCount);
        Assert.Contains("RUNNING", await page.Locator("#jobs").TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Contains("test-node", await page.Locator("#members").TextContentAsync() ?? "", StringComparison.Ordinal);
        await Eventually.Until(async () => await page.Locator("#lat-p99").TextContentAsync() ?? "", t => t.EndsWith("ms", StringComparison.Ordinal) || t.EndsWith(" s", StringComparison.Ordinal), what: "latency percentiles");

        // The overview fits a laptop screen: nothing scrolls at the page level.
        var scroll = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollHeight, window.innerHeight]");
        Assert.True(scroll[0] <= scroll[1], $"page scrolls: {scroll[0]} > {scroll[1]}");

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, "dashboard.png") });
        Assert.Empty(errors);
        Assert.True(Positive(first));
    }

    private static bool Positive(string text)
    {
        var t = text.Trim();
        var scale = t.EndsWith('k') ? 1e3 : t.EndsWith('M') ? 1e6 : 1;
        return double.TryParse(t.TrimEnd('k', 'M'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v * scale > 0;
    }
}
