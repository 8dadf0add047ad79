using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RecoFlow.Jobs.Ysb;

namespace RecoFlow.Bench;

/// <summary>
/// <c>recoflow bench --only cluster</c>: YSB on a one-node and a three-node cluster of <c>recoflow node</c> child
/// processes on loopback (alternating, same input file, checkpoints every second as the cluster always takes them),
/// records/s across one cross-node channel (<see cref="ChannelBench"/>), and the time from SIGKILL of a worker that
/// hosts keyed tasks until the job runs again and completes a checkpoint.
/// </summary>
internal static class ClusterBench
{
    public sealed record ThroughputRow(string Name, int Nodes, int Parallelism, double EventsPerSecond, double SubmitToFinishedMs, double RunningToFinishedMs, int KeyedTaskNodes);

    public sealed record RecoveryRun(double KilledToRemovedMs, double KilledToRunningMs, double KilledToCheckpointMs, long CheckpointBefore, long CheckpointAfter);

    public sealed record Result(long Events, int Runs, IReadOnlyList<ThroughputRow> Throughput, ChannelBench.Result Channel,
        int RecoveryRate, long RecoveryEvents, IReadOnlyList<RecoveryRun> Recovery);

    public static async Task<Result> RunAsync(bool quick, TextWriter log, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-cluster").FullName;
        try
        {
            var events = quick ? 1_000_000L : 3_000_000L;
            var table = YsbData.Campaigns();
            var input = Path.Combine(dir, "events.jsonl");
            var campaigns = Path.Combine(dir, "campaigns.csv");
            YsbData.WriteEvents(input, YsbData.Generate(events, 1, table));
            YsbData.WriteCampaigns(campaigns, table);

            var runs = quick ? 2 : 3;
            var throughput = await ThroughputAsync(dir, input, campaigns, events, runs, log, ct);
            log.WriteLine("cluster: channel across two actor systems (loopback Akka.Remote) ...");
            var channel = await ChannelBench.RunAsync(quick, log, ct);
            var rate = 10_000;
            var recoveryEvents = 400_000L;
            var recoveryInput = Path.Combine(dir, "recovery-events.jsonl");
            YsbData.WriteEvents(recoveryInput, YsbData.Generate(recoveryEvents, 2, table));
            var recovery = new List<RecoveryRun>();
            for (var i = 0; i < (quick ? 1 : 3); i++)
            {
                log.WriteLine($"cluster: kill -9 of a worker, run {i + 1} ...");
                var run = await RecoveryOnceAsync(Path.Combine(dir, $"recovery-{i}"), recoveryInput, campaigns, rate, log, ct);
                log.WriteLine($"  removed {run.KilledToRemovedMs:N0} ms, RUNNING again {run.KilledToRunningMs:N0} ms, checkpoint {run.CheckpointAfter} (after {run.CheckpointBefore}) {run.KilledToCheckpointMs:N0} ms after the kill");
                recovery.Add(run);
            }
            return new Result(events, runs, throughput, channel, rate, recoveryEvents, recovery);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<List<ThroughputRow>> ThroughputAsync(string dir, string input, string campaigns, long events, int runs, TextWriter log, CancellationToken ct)
    {
        log.WriteLine("cluster: starting a one-node and a three-node cluster ...");
        await using var one = await LocalCluster.StartAsync(1, Path.Combine(dir, "one"), ct);
        await using var three = await LocalCluster.StartAsync(3, Path.Combine(dir, "three"), ct);
        (string Name, LocalCluster Cluster, int Parallelism)[] rows =
        [
            ("one node, parallelism 1", one, 1),
            ("one node, parallelism 3", one, 3),
            ("three nodes, parallelism 3", three, 3),
        ];
        var samples = rows.Select(_ => new List<(double Rate, double SubmitMs, double RunningMs, int Nodes)>()).ToArray();
        for (var run = 0; run < runs + 1; run++)
            for (var r = 0; r < rows.Length; r++)
            {
                var (name, cluster, parallelism) = rows[r];
                var output = Path.Combine(dir, $"out-{r}-{run}");
                var s = await TimeJobAsync(cluster, input, campaigns, output, parallelism, ct);
                var rate = events / (s.RunningToFinishedMs / 1000);
                log.WriteLine($"  {name}{(run == 0 ? " (warm-up)" : "")}: {rate:N0} events/s (RUNNING → FINISHED {s.RunningToFinishedMs:N0} ms, submit → FINISHED {s.SubmitToFinishedMs:N0} ms), keyed tasks on {s.KeyedNodes} node(s)");
                if (run > 0) samples[r].Add((rate, s.SubmitToFinishedMs, s.RunningToFinishedMs, s.KeyedNodes));
            }
        return [.. rows.Select((row, r) => new ThroughputRow(row.Name, row.Cluster.Nodes.Count, row.Parallelism,
            BenchDoc.Median([.. samples[r].Select(x => x.Rate)]), BenchDoc.Median([.. samples[r].Select(x => x.SubmitMs)]),
            BenchDoc.Median([.. samples[r].Select(x => x.RunningMs)]), samples[r].Max(x => x.Nodes)))];
    }

    private static async Task<(double SubmitToFinishedMs, double RunningToFinishedMs, int KeyedNodes)> TimeJobAsync(LocalCluster cluster, string input, string campaigns,
        string output, int parallelism, CancellationToken ct)
    {
        var submitted = DateTimeOffset.UtcNow;
        var id = await cluster.SubmitYsbAsync(input, campaigns, output, parallelism, 0, ct);
        DateTimeOffset? running = null;
        var keyedNodes = new HashSet<string>();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(10))
        {
            var job = await cluster.GetAsync(cluster.Nodes[0], $"api/jobs/{id}", ct);
            var status = job?["status"]?.GetValue<string>();
            if (status is "FAILED" or "CANCELED") throw new InvalidOperationException($"cluster bench: job {id} {status}: {job?["failure_cause"]}");
            if (status == "RUNNING") running ??= DateTimeOffset.UtcNow;
            // An ended job keeps its tasks (and where they ran), so a job too short to be seen running is counted too.
            if (status is "RUNNING" or "FINISHED")
                foreach (var n in KeyedTaskNodes(job!)) keyedNodes.Add(n);
            if (status == "FINISHED")
            {
                var ended = job!["ended_at"]!.GetValue<DateTimeOffset>();
                // A job too short to be seen RUNNING counts from its submission.
                return ((ended - submitted).TotalMilliseconds, (ended - (running ?? submitted)).TotalMilliseconds, keyedNodes.Count);
            }
            await Task.Delay(50, ct);
        }
        throw new TimeoutException($"cluster bench: job {id} did not finish within 10 minutes");
    }

    /// <summary>Nodes of the windowed count's tasks (the keyed vertex of YSB).</summary>
    private static IEnumerable<string> KeyedTaskNodes(JsonNode job) =>
        job["tasks"]?.AsArray().Where(t => t?["name"]?.GetValue<string>().StartsWith("count per campaign", StringComparison.Ordinal) == true)
            .Select(t => t!["node"]?.GetValue<string>()).OfType<string>() ?? [];

    private static async Task<RecoveryRun> RecoveryOnceAsync(string dir, string input, string campaigns, int rate, TextWriter log, CancellationToken ct)
    {
        await using var cluster = await LocalCluster.StartAsync(3, dir, ct);
        var id = await cluster.SubmitYsbAsync(input, campaigns, Path.Combine(dir, "out"), 3, rate, ct);
        JsonNode job = null!;
        await cluster.UntilAsync(async () =>
        {
            job = (await cluster.GetAsync(cluster.Nodes[0], $"api/jobs/{id}", ct))!;
            return job?["status"]?.GetValue<string>() == "RUNNING" && job["last_checkpoint"] is JsonObject && KeyedTaskNodes(job).Count() == 3;
        }, TimeSpan.FromMinutes(2), "job RUNNING with a completed checkpoint", ct);
        var master = job["node"]!.GetValue<string>();
        var keyed = KeyedTaskNodes(job).ToHashSet();
        var victim = cluster.Nodes.Skip(1).FirstOrDefault(n => n.Address != master && keyed.Contains(n.Address))
            ?? throw new InvalidOperationException($"cluster bench: no worker other than the job manager's node ({master}) hosts keyed tasks");
        var survivor = cluster.Nodes.First(n => n != victim);
        var restartsBefore = job["restarts"]?.GetValue<int>() ?? 0;
        var before = job["last_checkpoint"]!["id"]!.GetValue<long>();
        log.WriteLine($"  job {id}: master on {master}, killing {victim.Address} after checkpoint {before}");

        var killedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        victim.Kill();
        double? removed = null, runningAgain = null;
        long after = 0;
        await cluster.UntilAsync(async () =>
        {
            if (removed is null)
            {
                var overview = await cluster.GetAsync(survivor, "api/overview", ct);
                var gone = overview?["cluster"]?["removed"]?.AsArray().FirstOrDefault(m => m?["address"]?.GetValue<string>() == victim.Address);
                if (gone is not null) removed = (gone["removed_at"]!.GetValue<DateTimeOffset>() - killedAt).TotalMilliseconds;
            }
            var j = await cluster.GetAsync(survivor, $"api/jobs/{id}", ct);
            var status = j?["status"]?.GetValue<string>();
            if (status is "FAILED" or "CANCELED" or "FINISHED") throw new InvalidOperationException($"cluster bench: job {id} {status} after the kill before a new checkpoint; {j?["failure_cause"]}");
            if (runningAgain is null && status == "RUNNING" && (j?["restarts"]?.GetValue<int>() ?? 0) > restartsBefore) runningAgain = clock.Elapsed.TotalMilliseconds;
            if (runningAgain is not null && j?["last_checkpoint"] is JsonObject cp && cp["id"]!.GetValue<long>() > before)
            {
                after = cp["id"]!.GetValue<long>();
                return removed is not null;
            }
            return false;
        }, TimeSpan.FromMinutes(2), "job RUNNING again with a new checkpoint", ct);
        var checkpoint = clock.Elapsed.TotalMilliseconds;
        return new RecoveryRun(removed!.Value, runningAgain!.Value, checkpoint, before, after);
    }

    public static string Render(Result r, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}` ({Environment.ProcessorCount} cores). Every node is a `recoflow node` child process on 127.0.0.1 (one state directory per cluster, SQLite checkpoint store, checkpoints every second as the cluster always takes them); jobs are submitted with `POST /api/jobs`.");
        sb.AppendLine();
        sb.AppendLine($"**YSB on one node and on three nodes.** {r.Events:N0} events from a JSON Lines file, `parallelism=P` (the windowed count per campaign runs P tasks; source, filter and join one task; the file sink one), median of {r.Runs} runs after a warm-up, the three configurations alternating. Time runs from the first poll (every 50 ms) that sees the job RUNNING to its `ended_at`. Three processes on {Environment.ProcessorCount} cores cannot be faster than one: this table shows what spreading the keyed tasks over nodes costs (records cross processes through Akka.Remote), and the one-node row with parallelism 3 separates that from the cost of parallelism itself.");
        sb.AppendLine();
        sb.AppendLine("| cluster | parallelism | keyed tasks on | events/s (RUNNING → FINISHED) | RUNNING → FINISHED | submit → FINISHED | vs one node, parallelism 1 |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        var baseline = r.Throughput[0].EventsPerSecond;
        foreach (var t in r.Throughput)
            sb.AppendLine($"| {t.Name} | {t.Parallelism} | {t.KeyedTaskNodes} node(s) | {t.EventsPerSecond:N0} | {t.RunningToFinishedMs:N0} ms | {t.SubmitToFinishedMs:N0} ms | {t.EventsPerSecond / baseline:F2}x |");
        sb.AppendLine();
        sb.Append(ChannelBench.Render(r.Channel));
        sb.AppendLine();
        sb.AppendLine($"**kill -9 of a worker.** A fresh three-node cluster runs YSB with `parallelism=3` and `rate={r.RecoveryRate}` ({r.RecoveryEvents:N0} events); once the job is RUNNING with a completed checkpoint and its keyed tasks on all three nodes, a node that hosts keyed tasks and is neither the seed nor the job manager's node gets SIGKILL. Measured from the kill: the survivors remove the node (the Split Brain Resolver downs it: heartbeat 500 ms, acceptable pause 2 s, stable-after 2 s), the job is RUNNING again (its restart count went up), and it completes a checkpoint newer than the last one before the kill. Median of {r.Recovery.Count} run(s); polled every 200 ms.");
        sb.AppendLine();
        sb.AppendLine("| three nodes, YSB, kill -9 of a worker → | median | range |");
        sb.AppendLine("| --- | ---: | ---: |");
        void Row(string what, Func<RecoveryRun, double> f) =>
            sb.AppendLine($"| {what} | {BenchDoc.Median([.. r.Recovery.Select(f)]):N0} ms | {r.Recovery.Min(f):N0}–{r.Recovery.Max(f):N0} ms |");
        Row("node removed from the cluster (downed)", x => x.KilledToRemovedMs);
        Row("job RUNNING again (tasks redeployed on the survivors from the last checkpoint)", x => x.KilledToRunningMs);
        Row("first checkpoint completed after the restart (processing again)", x => x.KilledToCheckpointMs);
        return sb.ToString();
    }
}
