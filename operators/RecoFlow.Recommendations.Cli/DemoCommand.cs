using System.CommandLine;
using System.Globalization;
using RecoFlow.Recommendations.Cli.Demo;
using RecoFlow.Server;
using RecoFlow.Cli;

namespace RecoFlow.Recommendations.Cli;

/// <summary>
/// <c>recoflow demo</c>: the real-time recommender end to end in one process (see <see cref="DemoHost"/>): prints the
/// shop and dashboard URLs, then a summary line every second, until Ctrl+C.
/// </summary>
public static class DemoCommand
{
    public static Command Create(TextWriter output)
    {
        var httpPort = new Option<int?>("--http-port") { Description = $"HTTP port (default {DemoHost.DefaultPort}, or a free one when it is taken; 0: any free one)" };
        var rate = new Option<double>("--rate") { Description = "simulated shopper events per second (0: none)", DefaultValueFactory = _ => 200 };
        var dir = new Option<string?>("--state-dir") { Description = "where checkpoints, the erasure log and the catalogue go (default: a temporary directory, deleted at exit)" };
        var https = new Option<bool>("--https") { Description = "serve HTTPS with a self-signed development certificate made at start" };
        var pfx = new Option<string?>("--https-pfx") { Description = "serve HTTPS with this PFX certificate file" };
        var pfxPassword = new Option<string?>("--https-pfx-password") { Description = "password of the PFX file" };
        var ildTarget = new Option<double?>("--ild-target") { Description = "hold the intra-list diversity of the lists at this value (0..1) with the diversity loop; its θ versions show on the dashboard" };
        var seconds = new Option<double?>("--seconds") { Description = "stop after this many seconds (default: run until Ctrl+C)" };
        var cmd = new Command("demo", "run the demo: simulated shoppers, the streaming recommendation job, the shop page with live recommendations and the dashboard")
        {
            httpPort, rate, dir, https, pfx, pfxPassword, ildTarget, seconds,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var port = r.GetValue(httpPort);
            if (port is < 0 or > 65535) throw new UsageException("--http-port must be within 0..65535");
            var eventsPerSecond = r.GetValue(rate);
            if (eventsPerSecond < 0 || double.IsNaN(eventsPerSecond)) throw new UsageException("--rate must be 0 or more");
            if (r.GetValue(ildTarget) is double ild && !(ild is > 0 and <= 1)) throw new UsageException("--ild-target must be in (0, 1]");
            System.Security.Cryptography.X509Certificates.X509Certificate2? cert = null;
            if (r.GetValue(pfx) is { } pfxPath)
            {
                try { cert = DevCertificate.Load(pfxPath, r.GetValue(pfxPassword)); }
                catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException) { throw new UsageException($"--https-pfx: {e.Message}"); }
            }
            else if (r.GetValue(https)) cert = DevCertificate.CreateSelfSigned();

            output.WriteLine("starting: development Kafka broker, embedded runtime (checkpoints in SQLite), HTTP server, recommendation job ...");
            // A state directory is the demo's alone, as a run's: a second process on it would write the same checkpoints.
            using var stateLock = r.GetValue(dir) is { } stateDir ? StateDirectoryLock.Acquire(stateDir, StateDirectoryHolder.Demo()) : null;
            // Log files only with --state-dir: the temporary directory is deleted at exit.
            using var logging = CliLogging.Start(Akka.Configuration.Config.Empty, r.GetValue(dir), "demo");
            await using var host = await DemoHost.StartAsync(new DemoOptions { HttpPort = port, Rate = eventsPerSecond, StateDirectory = r.GetValue(dir), Certificate = cert, RuntimeConfig = logging.AkkaConfig, IldTarget = r.GetValue(ildTarget) }, ct);
            var url = host.Server.Url;
            if (host.PortFallback) output.WriteLine($"port {DemoHost.DefaultPort} is taken; using {url.Port} instead (choose with --http-port)");
            output.WriteLine($"Shop:      {url}shop");
            output.WriteLine($"Dashboard: {url} (admin token for its actions: {host.AdminToken})");
            output.WriteLine($"Kafka:     {host.Broker.BootstrapServers} (topics interactions, recommendations)");
            output.WriteLine($"State:     {host.StateDirectory}");
            output.WriteLine(eventsPerSecond > 0
                ? $"{eventsPerSecond.ToString("0.#", CultureInfo.InvariantCulture)} simulated shopper events/s (--rate); Ctrl+C stops everything"
                : "no simulated shoppers (--rate 0); Ctrl+C stops everything");

            using var stopAfter = r.GetValue(seconds) is { } s ? new CancellationTokenSource(TimeSpan.FromSeconds(s)) : new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, stopAfter.Token);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            long lastEvents = 0, lastLists = 0;
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    long events = host.EventsPublished, lists = host.ListsPublished;
                    var h = host.Latency.Rotate();
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{DateTime.Now:HH:mm:ss}  events {events - lastEvents,5}/s  lists {lists - lastLists,5}/s  event→screen p50 {Fmt(LatencyWindow.Ms(h, 50))} p99 {Fmt(LatencyWindow.Ms(h, 99))}  model v{host.Models.Latest}  job {host.Job.Metrics.State}"));
                    lastEvents = events;
                    lastLists = lists;
                }
            }
            catch (OperationCanceledException) { }
            output.WriteLine("stopping ...");
            return 0;
        });
        return cmd;
    }

    private static string Fmt(double ms) => double.IsNaN(ms) ? "    -" : ms < 10 ? $"{ms,5:0.0}ms" : $"{ms,5:0}ms";
}
