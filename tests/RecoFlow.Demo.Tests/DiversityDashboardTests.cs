using RecoFlow.Recommendations.Cli;
using RecoFlow.TestSupport.Browser;

namespace RecoFlow.Demo.Tests;

/// <summary>The demo with the diversity loop on (<c>--ild-target</c>): its θ versions reach the dashboard's model panel.</summary>
[Trait("Category", "Slow")]
public sealed class DiversityDashboardTests
{
    [Fact]
    public async Task The_diversity_loops_theta_versions_show_on_the_dashboard()
    {
        await using var host = await DemoHost.StartAsync(new DemoOptions { HttpPort = 0, Rate = 150, ModelInterval = TimeSpan.FromSeconds(1), IldTarget = 0.5 }, CancellationToken.None);
        // The demo's items have one category each and its lists span several, above 0.5: the loop raises θ (more
        // relevance, less diversity) once per 100 lists it serves.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!host.Models.Versions.Any(v => v.Job == DemoModelVersions.DiversityJob && v.Version >= 2)) await Task.Delay(100, deadline.Token);
        var adjusted = host.Models.Versions.First(v => v.Job == DemoModelVersions.DiversityJob && v.Version >= 2);
        Assert.Equal(0.5, adjusted.Metrics["target_ild"]);
        Assert.True(adjusted.Metrics["window_ild"] > 0.5, $"window ILD {adjusted.Metrics["window_ild"]}");
        Assert.InRange(adjusted.Metrics["theta"], 0.51, 0.99);

        await using var chromium = await HeadlessChromium.LaunchAsync();
        var errors = new List<string>();
        var page = await chromium.NewPageAsync(errors);
        await page.GotoAsync(host.Server.Url.ToString());
        await page.WaitForFunctionAsync("() => document.querySelector('#models') && document.querySelector('#models').textContent.includes('diversity')", null, new() { Timeout = 20_000 });
        var panel = await page.Locator("#models").TextContentAsync();
        Assert.Contains(DemoModelVersions.DiversityJob, panel, StringComparison.Ordinal);
        Assert.Contains("theta", panel, StringComparison.Ordinal);
        Assert.Empty(errors);
    }
}
