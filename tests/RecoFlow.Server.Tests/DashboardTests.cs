using System.Globalization;
using Microsoft.Playwright;
using RecoFlow.TestSupport.Browser;

namespace RecoFlow.Server.Tests;

/// <summary>Opens the dashboard of a single in-process node in headless Chromium (see <see cref="HeadlessChromium"/>).</summary>
[Trait("Category", "Slow")]
[Collection(NodeCollection.Name)]
public sealed class DashboardTests(NodeFixture node)
{
    [Fact]
    public async Task The_dashboard_draws_the_job_graph_and_live_throughput()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var errors = new List<string>();
        var page = await chromium.NewPageAsync(errors);
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

        await HeadlessChromium.ScreenshotAsync(page, "dashboard");
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
