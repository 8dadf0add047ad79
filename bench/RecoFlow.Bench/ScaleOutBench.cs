using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RecoFlow.Connectors.Files;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Bench;

/// <summary>
/// <c>recoflow bench --only scale-out</c>: the CPU one YSB input costs as <c>recoflow run</c> (without and with a state
/// directory), on one <c>recoflow node</c> and on three, side by side in one run. Every case starts fresh child
/// processes and sums their CPU (utime + stime from <c>/proc/PID/stat</c>) from start to exit; for the nodes also the
/// part from the submission to FINISHED. Every output is checked to hold exactly the expected windows. Each case runs
/// under the engine's defaults and under the variants (environment or configuration) compared with them.
/// </summary>
internal static class ScaleOutBench
{
    public enum Kind { Run, RunCheckpointed, OneNode, ThreeNodes }

    /// <param name="Published">Run the CLI as <c>build.ps1 publish</c> publishes it (<see cref="PublishedCli"/>: ReadyToRun) instead of the build's.</param>
    /// <param name="PollSize">A source poll size other than the default (<c>recoflow.runtime.poll-size</c>, written to the variant's configuration); the expected windows follow its watermark cadence.</param>
    public sealed record Variant(string Name, IReadOnlyDictionary<string, string> Environment, string? Config = null, bool Published = false, int? PollSize = null);

    /// <summary>
    /// How many times the nodes run the job again after the first (a fresh job id and output each time): the last
    /// <see cref="SteadyJobs"/> of them are the cost of the events on a cluster whose code is compiled and tiered up, as
    /// a long-running cluster's is (the JIT keeps tiering the control path up over the first few jobs;
    /// docs/benchmarks.md, "Scale-out", items 7 and 8).
    /// </summary>
    public const int FurtherJobs = 6;

    /// <summary>How many of the last jobs make the running cluster's figure (their median: one job of a second or two is noisy).</summary>
    public const int SteadyJobs = 3;

    /// <summary>The jobs the running cluster's figure covers, as the table names them (1 is the first job).</summary>
    public static string SteadyRange => $"{FurtherJobs + 2 - SteadyJobs}–{FurtherJobs + 1}";

    /// <param name="CpuSeconds">Every process of the case, start to exit, with one job (for nodes: without the further jobs' CPU).</param>
    /// <param name="JobCpuSeconds">Nodes: the first job, submit → FINISHED, on fresh nodes (their JIT included).</param>
    /// <param name="FurtherJobsCpuSeconds">Nodes: the same job submitted again on the same nodes, <see cref="FurtherJobs"/> times, each submit → FINISHED.</param>
    public sealed record Sample(double CpuSeconds, double? JobCpuSeconds, double WallSeconds, IReadOnlyList<double>? FurtherJobsCpuSeconds = null);

    public sealed record Case(Kind Kind, string Variant, IReadOnlyList<Sample> Samples)
    {
        public double Cpu => BenchDoc.Median([.. Samples.Select(s => s.CpuSeconds)]);
        public double? JobCpu => Samples[0].JobCpuSeconds is null ? null : BenchDoc.Median([.. Samples.Select(s => s.JobCpuSeconds!.Value)]);
        /// <summary>The second job (the first on running nodes), median over the runs.</summary>
        public double? SecondJobCpu => Samples[0].FurtherJobsCpuSeconds is null ? null : BenchDoc.Median([.. Samples.Select(s => s.FurtherJobsCpuSeconds![0])]);
        /// <summary>The median of the last <see cref="SteadyJobs"/> jobs, median over the runs: the per-event cost of a running cluster.</summary>
        public double? SteadyJobCpu => Samples[0].FurtherJobsCpuSeconds is null ? null : BenchDoc.Median([.. Samples.Select(Steady)]);

        public static double Steady(Sample s) => BenchDoc.Median([.. s.FurtherJobsCpuSeconds!.TakeLast(SteadyJobs)]);
    }

    public sealed record Result(long Events, int Runs, string Conditions, string LoadAtEnd, IReadOnlyList<Variant> Variants, IReadOnlyList<Case> Cases);

    /// <summary>
    /// The engine's defaults (the build's CLI, compiled at run time), the same CLI published for this machine
    /// (ReadyToRun, as deployed), and source polls of 8,192 records (fewer watermark messages, fuller batches across
    /// the network). The thread pool's own spinning (its default of 70) was the third variant until December 2026
    /// (docs/benchmarks.md).
    /// </summary>
    public static IReadOnlyList<Variant> DefaultVariants { get; } =
    [
        new("defaults", new Dictionary<string, string>()),
        new("published with ReadyToRun (`build.ps1 publish`)", new Dictionary<string, string>(), Published: true),
        new("source polls of 8,192 records (`recoflow.runtime.poll-size = 8192`)", new Dictionary<string, string>(), PollSize: 8192),
    ];

    private static readonly Kind[] Kinds = [Kind.Run, Kind.RunCheckpointed, Kind.OneNode, Kind.ThreeNodes];

    public static async Task<Result> RunAsync(bool quick, TextWriter log, CancellationToken ct, IReadOnlyList<Variant>? variants = null)
    {
        if (!ProcStat.Available) throw new RecoFlow.Cli.UsageException("the scale-out bench reads /proc/PID/stat: it runs on Linux only");
        variants ??= DefaultVariants;
        var conditions = BenchConditions.Describe();
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-scale").FullName;
        try
        {
            const long events = 1_000_000;
            var table = YsbData.Campaigns();
            var input = Path.Combine(dir, "events.jsonl");
            var campaigns = Path.Combine(dir, "campaigns.csv");
            YsbData.WriteEvents(input, YsbData.Generate(events, 1, table));
            YsbData.WriteCampaigns(campaigns, table);
            // The file source emits a watermark after each poll: each variant's expected windows follow its poll size
            // (computed once per distinct poll size).
            var campaignOfAd = table.ToDictionary(t => t.Ad, t => t.Campaign);
            var polls = variants.Select(v => v.PollSize ?? RuntimeSettings.Default.PollSize).ToArray();
            var byPollSize = polls.Distinct()
                .ToDictionary(poll => poll, poll => YsbData.ExpectedCounts(YsbData.Generate(events, 1, table), campaignOfAd, 10_000, 5_000, watermarkEvery: poll));
            var expected = polls.Select(poll => byPollSize[poll]).ToArray();
            var configs = variants.Select((v, i) => VariantConfig(v) is { } hocon ? WriteConfig(Path.Combine(dir, $"variant-{i}.conf"), hocon) : null).ToArray();
            var published = variants.Any(v => v.Published) ? await PublishedCli.PublishAsync(Path.Combine(dir, "published"), log, ct) : null;
            var clis = variants.Select(v => v.Published ? published : null).ToArray();

            var runs = quick ? 1 : 2;
            var samples = new Dictionary<(Kind, int), List<Sample>>();
            var n = 0;
            for (var run = 0; run < runs; run++)
                foreach (var kind in Kinds)
                    for (var v = 0; v < variants.Count; v++)
                    {
                        var caseDir = Path.Combine(dir, $"case-{n++}");
                        Directory.CreateDirectory(caseDir);
                        var output = Path.Combine(caseDir, "out");
                        var sample = kind is Kind.Run or Kind.RunCheckpointed
                            ? await RunOnceAsync(kind == Kind.RunCheckpointed, input, campaigns, output, caseDir, variants[v], configs[v], clis[v], ct)
                            : await NodesOnceAsync(kind == Kind.OneNode ? 1 : 3, input, campaigns, output, caseDir, variants[v], configs[v], clis[v], ct);
                        CheckExact(output, expected[v], $"{Name(kind)} ({variants[v].Name})");
                        for (var job = 2; job <= (sample.FurtherJobsCpuSeconds?.Count ?? 0) + 1; job++)
                            CheckExact($"{output}-{job}", expected[v], $"{Name(kind)} ({variants[v].Name}), job {job}");
                        log.WriteLine($"scale-out: {Name(kind)}, {variants[v].Name}: {sample.CpuSeconds:F1} CPU s{(sample.JobCpuSeconds is { } j ? $" ({j:F1} submit → FINISHED)" : "")}{(sample.FurtherJobsCpuSeconds is { } f ? $", jobs 2–{FurtherJobs + 1}: {Each(f)} CPU s" : "")}, {sample.WallSeconds:F1} s wall, output exact");
                        (samples.TryGetValue((kind, v), out var list) ? list : samples[(kind, v)] = []).Add(sample);
                        try { Directory.Delete(caseDir, recursive: true); } catch (IOException) { }
                    }
            var cases = Kinds.SelectMany(k => variants.Select((variant, v) => new Case(k, variant.Name, samples[(k, v)]))).ToList();
            return new Result(events, runs, conditions, LoadAverage(), variants, cases);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string? VariantConfig(Variant v) =>
        v.PollSize is { } poll ? $"recoflow.runtime.poll-size = {poll.ToString(CultureInfo.InvariantCulture)}\n{v.Config}" : v.Config;

    private static string WriteConfig(string path, string hocon)
    {
        File.WriteAllText(path, hocon);
        return path;
    }

    /// <summary><c>recoflow run ysb</c> as a child process: its whole CPU, start to exit.</summary>
    private static async Task<Sample> RunOnceAsync(bool checkpointed, string input, string campaigns, string output, string dir, Variant variant, string? config, string? cli, CancellationToken ct)
    {
        List<string> args = ["run", "ysb", "--param", $"input={input}", "--param", $"campaigns={campaigns}", "--param", $"output={output}"];
        if (checkpointed) args.AddRange(["--state-dir", Path.Combine(dir, "state"), "--checkpoint-interval", "1s"]);
        if (config is not null) args.AddRange(["--config", config]);
        var info = SelfProcess.Recoflow(args, cli);
        foreach (var (k, v) in variant.Environment) info.Environment[k] = v;
        var before = ProcStat.ChildrenCpuSeconds();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start recoflow run");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(5));
        try { await process.WaitForExitAsync(deadline.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException("scale-out bench: recoflow run did not finish within 5 minutes");
        }
        var wall = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"scale-out bench: recoflow run exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return new Sample(ProcStat.ChildrenCpuSeconds() - before, null, wall);
    }

    /// <summary>
    /// A fresh cluster of <paramref name="nodes"/> <c>recoflow node</c> processes runs YSB with parallelism
    /// <paramref name="nodes"/>, then the same job <see cref="FurtherJobs"/> more times (outputs to <paramref name="output"/>-2,
    /// -3, …), then the nodes leave and exit. CPU of all nodes from start to exit less the further jobs'; the first job's
    /// from its submission to FINISHED (fresh processes: their JIT and tiering included); each further job's the same
    /// way (polled every 50 ms).
    /// </summary>
    private static async Task<Sample> NodesOnceAsync(int nodes, string input, string campaigns, string output, string dir, Variant variant, string? config, string? cli, CancellationToken ct)
    {
        var env = new Dictionary<string, string>(variant.Environment);
        var before = ProcStat.ChildrenCpuSeconds();
        var clock = Stopwatch.StartNew();
        double jobCpu, furtherWall = 0;
        var further = new List<double>(FurtherJobs);
        await using (var cluster = await LocalCluster.StartAsync(nodes, Path.Combine(dir, "state"), ct, env, config, cli))
        {
            (jobCpu, _) = await JobAsync(cluster, output);
            for (var again = 1; again <= FurtherJobs; again++)
            {
                var (cpu, wall) = await JobAsync(cluster, $"{output}-{again + 1}");
                further.Add(cpu);
                furtherWall += wall;
            }
            await cluster.StopAsync(TimeSpan.FromSeconds(30));
        }
        return new Sample(ProcStat.ChildrenCpuSeconds() - before - further.Sum(), jobCpu, clock.Elapsed.TotalSeconds - furtherWall, further);

        async Task<(double Cpu, double Wall)> JobAsync(LocalCluster cluster, string to)
        {
            var atSubmit = cluster.Nodes.Sum(x => ProcStat.CpuSeconds(x.Pid));
            var wall = Stopwatch.StartNew();
            var id = await cluster.SubmitYsbAsync(input, campaigns, to, nodes, 0, ct);
            await cluster.UntilAsync(async () =>
            {
                var status = (await cluster.GetAsync(cluster.Nodes[0], $"api/jobs/{id}", ct))?["status"]?.GetValue<string>();
                if (status is "FAILED" or "CANCELED") throw new InvalidOperationException($"scale-out bench: job {id} {status}");
                return status == "FINISHED";
            }, TimeSpan.FromMinutes(5), $"job {id} FINISHED", ct, pollMs: 50);
            return (cluster.Nodes.Sum(x => ProcStat.CpuSeconds(x.Pid)) - atSubmit, wall.Elapsed.TotalSeconds);
        }
    }

    /// <summary>The committed part files of <paramref name="output"/> hold exactly the expected windows, each once.</summary>
    private static void CheckExact(string output, Dictionary<(string Campaign, long WindowStart), long> expected, string what)
    {
        var seen = new Dictionary<(string, long), long>();
        // A run without checkpoints writes a plain file; with checkpoints the sink commits part files into a directory.
        foreach (var line in File.Exists(output) ? File.ReadLines(output) : CommittedFiles.ReadLines(output))
        {
            var e = JsonDocument.Parse(line).RootElement;
            var key = (e.GetProperty("campaign_id").GetString()!, e.GetProperty("window_start").GetInt64());
            if (!seen.TryAdd(key, e.GetProperty("count").GetInt64())) throw new InvalidOperationException($"scale-out bench: {what}: window {key} committed twice");
        }
        var wrong = expected.Count(kv => seen.GetValueOrDefault(kv.Key, -1) != kv.Value);
        if (wrong > 0 || seen.Count != expected.Count)
            throw new InvalidOperationException($"scale-out bench: {what}: output not exact ({seen.Count} windows, {expected.Count} expected, {wrong} missing or wrong)");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    public static string Name(Kind kind) => kind switch
    {
        Kind.Run => "`recoflow run ysb` (no state dir)",
        Kind.RunCheckpointed => "`recoflow run ysb --state-dir DIR --checkpoint-interval 1s`",
        Kind.OneNode => "one `recoflow node`, `submit ysb` (parallelism 1)",
        _ => "three `recoflow node` processes, `submit ysb --param parallelism=3`",
    };

    public static string Render(Result r, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}`. Conditions: {r.Conditions}; load average {r.LoadAtEnd} at the end.");
        sb.AppendLine();
        sb.AppendLine($"YSB over the same {r.Events:N0} JSON Lines events in every case; each case starts fresh processes, {r.Runs} run(s) per case, the cases and variants alternating. **CPU seconds** = utime + stime of every process of the case (from `/proc/PID/stat`), from its start to its exit: start-up, the job, shutdown; for nodes also the part from the submission to FINISHED. The nodes then run the same job {FurtherJobs} more times (a fresh job id and output each time), each measured from submission to FINISHED and left out of the whole-process column: **second job** is the first on running nodes, **jobs {SteadyRange}** the median of the last {SteadyJobs}, the cost of the events on a cluster whose code is compiled and tiered up, as a long-running cluster's is. Every output, the further jobs' included, was checked to hold exactly the expected windows, each once. The nodes use their defaults (checkpoints every second, SQLite store in a state directory shared by the cluster).");
        sb.AppendLine();
        foreach (var v in r.Variants)
        {
            var rows = r.Cases.Where(c => c.Variant == v.Name).ToList();
            var baseline = rows.First(c => c.Kind == Kind.Run).Cpu;
            sb.AppendLine($"**{v.Name}**{(v.Config is null ? "" : $" (configuration: `{v.Config.Trim().ReplaceLineEndings(" ")}`)")}");
            sb.AppendLine();
            sb.AppendLine($"| how it runs | CPU seconds (each run) | per event vs `recoflow run` without a state dir | CPU seconds submit → FINISHED (each run) | second job: CPU seconds submit → FINISHED (each run) | jobs {SteadyRange}: CPU seconds submit → FINISHED, median (each run) | wall seconds (each run) | exact |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
            foreach (var c in rows)
                sb.AppendLine($"| {Name(c.Kind)} | {Each(c.Samples.Select(s => s.CpuSeconds))} | {c.Cpu / baseline:F2}× | {(c.JobCpu is null ? "—" : Each(c.Samples.Select(s => s.JobCpuSeconds!.Value)))} | {(c.SecondJobCpu is null ? "—" : Each(c.Samples.Select(s => s.FurtherJobsCpuSeconds![0])))} | {(c.SteadyJobCpu is null ? "—" : Each(c.Samples.Select(Case.Steady)))} | {Each(c.Samples.Select(s => s.WallSeconds))} | yes |");
            sb.AppendLine();
            double Cpu(Kind k) => rows.First(c => c.Kind == k).Cpu;
            double? Job(Kind k) => rows.First(c => c.Kind == k).JobCpu;
            double? Second(Kind k) => rows.First(c => c.Kind == k).SecondJobCpu;
            double? Steady(Kind k) => rows.First(c => c.Kind == k).SteadyJobCpu;
            sb.AppendLine($"Targets (medians): run with a state dir / without {Cpu(Kind.RunCheckpointed) / Cpu(Kind.Run):F2}× (target ≤ 1.3×); one node / checkpointed run {Cpu(Kind.OneNode) / Cpu(Kind.RunCheckpointed):F2}× (target ≤ 1.3×); three nodes / one node {Cpu(Kind.ThreeNodes) / Cpu(Kind.OneNode):F2}× (target ≤ 1.5×; submit → FINISHED only: {Job(Kind.ThreeNodes) / Job(Kind.OneNode):F2}×; second job: {Second(Kind.ThreeNodes) / Second(Kind.OneNode):F2}×; jobs {SteadyRange}, on running nodes: {Steady(Kind.ThreeNodes) / Steady(Kind.OneNode):F2}×); jobs {SteadyRange} on one running node / checkpointed run {Steady(Kind.OneNode) / Cpu(Kind.RunCheckpointed):F2}×.");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Each(IEnumerable<double> values) => string.Join(", ", values.Select(x => x.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)));
}
