using System.CommandLine;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;

namespace RecoFlow.Cli;

/// <summary>
/// <c>recoflow demo</c>: generates YSB data, runs the YSB job on the embedded runtime and prints its results and rate.
/// With <c>--http-port</c> the node's HTTP layer runs beside it (see <see cref="DemoHost"/>) and a live job keeps the dashboard busy until Ctrl+C.
/// </summary>
public static class DemoCommand
{
    public static Command Create(TextWriter output)
    {
        var events = new Option<long>("--events") { Description = "events to generate", DefaultValueFactory = _ => 1_000_000 };
        var dir = new Option<string?>("--dir") { Description = "working directory (default: a new temporary one)" };
        var httpPort = new Option<int?>("--http-port") { Description = "serve the dashboard, API and metrics on this port (0: any free one) and keep a live job running until Ctrl+C" };
        var cmd = new Command("demo", "run the demo: generated events through the YSB job on the embedded runtime") { events, dir, httpPort };
        cmd.SetAction(async (r, ct) =>
        {
            var work = r.GetValue(dir) ?? Path.Combine(Path.GetTempPath(), $"recoflow-demo-{Environment.ProcessId}");
            Directory.CreateDirectory(work);
            var input = Path.Combine(work, "events.jsonl");
            var campaigns = Path.Combine(work, "campaigns.csv");
            var outFile = Path.Combine(work, "counts.jsonl");
            var n = r.GetValue(events);
            output.WriteLine($"generating {n:N0} ad events in {work} ...");
            var table = YsbData.Campaigns();
            YsbData.WriteCampaigns(campaigns, table);
            YsbData.WriteEvents(input, YsbData.Generate(n, 7, table));
            var graph = JobRunner.BuildGraph(new YsbJob(), new Dictionary<string, string>
            {
                ["input"] = input, ["campaigns"] = campaigns, ["output"] = outFile,
                ["late-output"] = Path.Combine(work, "late.jsonl"), ["unknown-output"] = Path.Combine(work, "unknown.jsonl"),
            });
            output.WriteLine(graph.Explain());
            var port = r.GetValue(httpPort);
            if (port is < 0 or > 65535) throw new UsageException("--http-port must be within 0..65535");
            await using var host = await DemoHost.StartAsync(port, ct);
            if (host.Server is { } server) output.WriteLine($"Dashboard: {server.Url}");
            var code = await JobRunner.FollowAsync(host.Submit(graph, new JobRunOptions { DeadLetterFile = Path.Combine(work, "dead-letters.jsonl") }), output, ct);
            if (code != 0) return code;
            var rows = File.ReadAllLines(outFile);
            output.WriteLine($"{rows.Length:N0} (campaign, window) counts in {outFile}; first rows:");
            foreach (var row in rows.Take(5)) output.WriteLine("  " + row);
            output.WriteLine($"late views: {File.ReadLines(Path.Combine(work, "late.jsonl")).Count():N0}, unknown ads: {File.ReadLines(Path.Combine(work, "unknown.jsonl")).Count():N0}");
            if (host.Server is null) return 0;
            host.Submit(host.LiveYsb(ratePerSecond: 5_000));
            output.WriteLine($"live-ysb runs on generated events for the dashboard at {host.Server.Url}; Ctrl+C stops everything");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) { }
            output.WriteLine("stopping");
            return 0;
        });
        return cmd;
    }
}
