using Microsoft.Playwright;

namespace RecoFlow.TestSupport.Browser;

/// <summary>
/// Headless Chromium for page tests through Playwright: the system's browser (<c>RECOFLOW_CHROMIUM</c>, default
/// <c>/usr/bin/chromium</c>; never downloaded). Screenshots go to <see cref="ArtifactsDirectory"/>. A test project that
/// uses it references Microsoft.Playwright itself (for the driver Playwright copies next to the tests).
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static string ExecutablePath => Environment.GetEnvironmentVariable("RECOFLOW_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>Where tests leave screenshots and logs: <c>RECOFLOW_TEST_ARTIFACTS</c> (set by <c>build.ps1 test</c>), else a temporary directory.</summary>
    public static string ArtifactsDirectory
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("RECOFLOW_TEST_ARTIFACTS") is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), "recoflow-test-artifacts");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>Starts the browser; throws naming the path when Chromium is not installed.</summary>
    public static async Task<HeadlessChromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath)) throw new FileNotFoundException($"Chromium not found at {ExecutablePath} (set RECOFLOW_CHROMIUM)", ExecutablePath);
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A new page of a laptop's screen size (1440x900) whose script errors are collected in <paramref name="errors"/>.</summary>
    public async Task<IPage> NewPageAsync(List<string> errors, int width = 1440, int height = 900)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        return page;
    }

    /// <summary>Saves a screenshot of <paramref name="page"/> as <paramref name="name"/>.png in <see cref="ArtifactsDirectory"/>; returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ArtifactsDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
