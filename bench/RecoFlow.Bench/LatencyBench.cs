using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using HdrHistogram;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Bench;

/// <summary>
/// End-to-end latency at fixed input rates through the development broker (in this process): a producer writes
/// 100-byte events at a fixed rate, each stamped with the time it was handed to the producer; a job reads them with
/// the Kafka source, applies a per-event map (a pass-through, Nexmark q0-style) and writes them with the exactly-once
/// Kafka sink, checkpoints every second; a consumer reads the output topic and records, per event,
/// <b>visible</b> = read time − stamp (what a read_uncommitted consumer sees; the dev broker does not isolate
/// transactions, so this is what every consumer sees there) and <b>committed</b> = completion time of the checkpoint
/// that commits the event's transaction − stamp (the earliest a read_committed consumer of a real cluster could see
/// it). Then the highest rate whose visible p99 stays under 50 ms, stepping the rate up until p99 ≥ 50 ms or the job
/// falls behind.
/// </summary>
internal static class LatencyBench
{
    public sealed record Point(int Rate, double Seconds, long Sent, long Received, double P50, double P99, double P999, double Max,
        double CommittedP50, double CommittedP99, double CommittedP999, long Committed, long AllocatedBytesPerEvent, int Gen0PerSecond);

    public sealed record Result(IReadOnlyList<Point> Fixed, IReadOnlyList<Point> Search, int? MaxRateUnder50Ms, int? FirstFailingRate, IReadOnlyList<Point> ShortFetchWait);

    private const int Partitions = 2;
    private const int PayloadBytes = 100;
    private const double BoundMs = 50;
    private const int ShortFetchWaitRuns = 3;

    public static async Task<Result> RunAsync(bool quick, TextWriter log, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("recoflow-bench-latency").FullName;
        try
        {
            await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1 });
            await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(dir, "checkpoints.db")));
            var warmUp = TimeSpan.FromSeconds(quick ? 2 : 3);
            var measure = TimeSpan.FromSeconds(quick ? 5 : 15);
            var measured = new Dictionary<int, Point>();
            var run = 0;
            async Task<Point> At(int rate)
            {
                if (measured.TryGetValue(rate, out var known)) return known;
                log.WriteLine($"latency: {rate:N0} events/s for {measure.TotalSeconds:0} s (after {warmUp.TotalSeconds:0} s warm-up) ...");
                var p = await PointAsync(broker, runtime, rate, warmUp, measure, run++, ct);
                log.WriteLine($"  visible p50 {p.P50:F1} ms, p99 {p.P99:F1} ms, p99.9 {p.P999:F1} ms; committed p99 {p.CommittedP99:F0} ms; {p.Received:N0} of {p.Sent:N0} received");
                return measured[rate] = p;
            }

            // One throw-away run: JIT, the store's plugin start, the first transactional producer.
            await PointAsync(broker, runtime, 1_000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), run++, ct);
            var fixedRates = quick ? new[] { 1_000, 10_000, 50_000 } : new[] { 1_000, 10_000, 20_000, 50_000 };
            var fixedPoints = new List<Point>();
            foreach (var rate in fixedRates) fixedPoints.Add(await At(rate));

            int[] steps = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000, 125_000, 150_000, 200_000];
            int? lastPassing = null, firstFailing = null;
            var search = new List<Point>();
            foreach (var rate in steps)
            {
                var p = await At(rate);
                search.Add(p);
                if (!Passes(p))
                {
                    firstFailing = rate;
                    break;
                }
                lastPassing = rate;
            }
            // What the consumers' fetch wait costs on the development broker: 10k events/s with fetch.wait.max.ms = 1
            // on the job's source and on the measuring consumer (instead of the connector's 10 ms), as a
            // latency-sensitive user of the dev broker would configure it. Three runs: a shared machine's scheduling
            // noise moves a 5 s p99 by tens of milliseconds.
            var shortWait = new List<Point>();
            for (var i = 0; i < ShortFetchWaitRuns; i++)
            {
                log.WriteLine($"latency: 10,000 events/s with fetch.wait.max.ms = 1 (run {i + 1} of {ShortFetchWaitRuns}) ...");
                var p = await PointAsync(broker, runtime, 10_000, warmUp, measure, run++, ct, fetchWaitMs: 1);
                log.WriteLine($"  visible p50 {p.P50:F1} ms, p99 {p.P99:F1} ms, p99.9 {p.P999:F1} ms");
                shortWait.Add(p);
            }
            return new Result(fixedPoints, search, lastPassing, firstFailing, shortWait);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A rate passes when p99 (visible) is under 50 ms and the job kept up (received ≥ 99% of what was sent).</summary>
    private static bool Passes(Point p) => p.P99 < BoundMs && p.Received >= p.Sent * 0.99;

    private static async Task<Point> PointAsync(DevKafkaBroker broker, LocalRuntime runtime, int rate, TimeSpan warmUp, TimeSpan measure, int run, CancellationToken ct, int? fetchWaitMs = null)
    {
        string input = $"lat-in-{run}", output = $"lat-out-{run}";
        broker.CreateTopic(input, Partitions);
        broker.CreateTopic(output, Partitions);
        var job = new StreamJob("latency-bench");
        job.FromSource(KafkaSource.Bytes(new KafkaSourceOptions { BootstrapServers = broker.BootstrapServers, Topics = [input], Log = Quiet,
                    ConsumerProperties = fetchWaitMs is { } w ? new Dictionary<string, string> { ["fetch.wait.max.ms"] = w.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null }),
                WatermarkStrategy<byte[]>.NoWatermarks(), "events")
            .Map(static v => v, "pass-through")
            .SinkTo(new KafkaSink<byte[]>(new KafkaSinkOptions
            {
                BootstrapServers = broker.BootstrapServers, Topic = output, Delivery = KafkaDeliveryGuarantee.ExactlyOnce,
                TransactionalIdPrefix = $"latency-bench-{run}", Log = Quiet,
            }, static v => v));
        var client = runtime.Submit(job.Build(), new JobRunOptions
        {
            Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromSeconds(1) },
            JobKey = $"latency-bench-{Guid.NewGuid():N}",
        });

        // Stopwatch ticks and UTC, tied once, to place checkpoint completion times on the stamps' clock.
        var tick0 = Stopwatch.GetTimestamp();
        var utc0 = DateTime.UtcNow;
        var measureFrom = tick0 + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(measure.TotalSeconds * Stopwatch.Frequency);
        var stamps = new List<long>(capacity: (int)Math.Min(int.MaxValue / 2, rate * (measure.TotalSeconds + 1)));
        var reads = new List<long>(stamps.Capacity);
        var visible = new LongHistogram(TimeSpan.FromMinutes(1).Ticks / 10, 3); // microseconds
        using var stop = new CancellationTokenSource();
        var consumer = Task.Factory.StartNew(() =>
        {
            var config = KafkaClientDefaults.Consumer(broker.BootstrapServers, $"latency-bench-{run}");
            config.IsolationLevel = IsolationLevel.ReadUncommitted;
            if (fetchWaitMs is { } wait) config.FetchWaitMaxMs = wait;
            using var c = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
            c.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(output, p, Offset.Beginning)));
            while (!stop.IsCancellationRequested)
            {
                var r = c.Consume(20);
                if (r?.Message?.Value is not { Length: >= 8 } v) continue;
                var now = Stopwatch.GetTimestamp();
                var stamp = BinaryPrimitives.ReadInt64LittleEndian(v);
                if (stamp < measureFrom || stamp >= measureTo) continue;
                visible.RecordValue(Math.Max(0, (now - stamp) * 1_000_000 / Stopwatch.Frequency));
                stamps.Add(stamp);
                reads.Add(now);
            }
            c.Close();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        long sent = 0;
        var allocated0 = GC.GetTotalAllocatedBytes();
        var gen0 = GC.CollectionCount(0);
        using (var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientDefaults.Producer(broker.BootstrapServers)).SetLogHandler((_, _) => { }).Build())
        {
            var end = measureTo;
            long produced = 0;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var now = Stopwatch.GetTimestamp();
                if (now >= end) break;
                var due = (now - tick0) * rate / Stopwatch.Frequency;
                for (; produced < due; produced++)
                {
                    var value = new byte[PayloadBytes];
                    BinaryPrimitives.WriteInt64LittleEndian(value, Stopwatch.GetTimestamp());
                    Produce(producer, new TopicPartition(input, (int)(produced % Partitions)), value);
                    if (now >= measureFrom) sent++;
                }
                await Task.Delay(1, ct);
            }
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        var seconds = (Stopwatch.GetTimestamp() - measureFrom) / (double)Stopwatch.Frequency;
        var allocatedPerEvent = sent == 0 ? 0 : (GC.GetTotalAllocatedBytes() - allocated0) / Math.Max(1, (long)(rate * seconds + rate * warmUp.TotalSeconds));
        var gen0PerSecond = (int)((GC.CollectionCount(0) - gen0) / Math.Max(1e-3, (Stopwatch.GetTimestamp() - tick0) / (double)Stopwatch.Frequency));

        // Let the last events through and one more checkpoint commit them, then stop.
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(10) && (stamps.Count < sent || LastCompleted(client) < DateTime.UtcNow.AddMilliseconds(-500)))
            await Task.Delay(100, ct);
        await Task.Delay(1_200, ct);
        await stop.CancelAsync();
        await consumer;
        long Tick(DateTime t) => tick0 + (long)((t - utc0).TotalSeconds * Stopwatch.Frequency);
        var completedCheckpoints = client.Metrics.Checkpoints.Where(c => c.Status == CheckpointStatus.Completed).OrderBy(c => c.Id).ToArray();
        var triggers = completedCheckpoints.Select(c => Tick(c.TriggeredAt)).ToArray();
        var completions = completedCheckpoints.Select(c => Tick(c.CompletedAt)).ToArray();
        client.Cancel();
        await client.Completion;

        // The transaction an event was written in is committed by the first completed checkpoint whose barrier came
        // after the write: records after a barrier go into the next transaction (on the next producer of the sink's
        // pool), committed by the next checkpoint. Taken as the first completed checkpoint triggered after the event
        // was read back (read ≥ write; an event written between a trigger and its barrier's arrival at the sink
        // counts one checkpoint late, so this errs high).
        var committed = new LongHistogram(TimeSpan.FromMinutes(1).Ticks / 10, 3);
        for (var i = 0; i < stamps.Count; i++)
        {
            var k = Array.BinarySearch(triggers, reads[i]);
            if (k < 0) k = ~k;
            if (k >= completions.Length) continue;
            committed.RecordValue(Math.Max(0, (completions[k] - stamps[i]) * 1_000_000 / Stopwatch.Frequency));
        }
        static double Ms(LongHistogram h, double percentile) => h.TotalCount == 0 ? double.NaN : h.GetValueAtPercentile(percentile) / 1000.0;
        return new Point(rate, measure.TotalSeconds, sent, stamps.Count, Ms(visible, 50), Ms(visible, 99), Ms(visible, 99.9),
            visible.TotalCount == 0 ? double.NaN : visible.GetMaxValue() / 1000.0, Ms(committed, 50), Ms(committed, 99), Ms(committed, 99.9), committed.TotalCount,
            allocatedPerEvent, gen0PerSecond);
    }

    private static DateTime LastCompleted(JobClient client) =>
        client.Metrics.Checkpoints.Where(c => c.Status == CheckpointStatus.Completed).Select(c => c.CompletedAt).DefaultIfEmpty(DateTime.MinValue).Max();

    private static void Produce(IProducer<byte[], byte[]> producer, TopicPartition tp, byte[] value)
    {
        while (true)
        {
            try
            {
                producer.Produce(tp, new Message<byte[], byte[]> { Value = value });
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(1));
            }
        }
    }

    private static void Quiet(string line)
    {
        if (!line.Contains("assigned", StringComparison.Ordinal)) KafkaLog.Default(line);
    }

    public static string Render(Result r, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd} with `{command}` ({Environment.ProcessorCount} cores). Job: Kafka source (2 partitions, one task) → per-event map → exactly-once Kafka sink, checkpoints every 1 s (SQLite store), producer and consumer in the same process on the development broker. **visible** = consumer read time − the time the event was handed to the producer (read_uncommitted view; the dev broker does not isolate transactions, so every consumer sees this there); **committed** = completion of the checkpoint that commits the event's transaction (the first completed checkpoint triggered after the event was read back) − the same stamp (what a read_committed consumer of a real cluster waits for: bounded below by the checkpoint interval). HdrHistogram; warm-up excluded.");
        sb.AppendLine();
        sb.AppendLine("| rate (events/s) | measured | events sent / received | visible p50 | visible p99 | visible p99.9 | visible max | committed p50 | committed p99 | committed p99.9 | allocated per event | gen0 GCs/s |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var p in r.Fixed) Row(sb, p);
        sb.AppendLine();
        sb.AppendLine($"The same at 10,000 events/s with `fetch.wait.max.ms = 1` on the job's source consumer and on the measuring consumer (the connector's default is 10 ms; the dev broker holds an empty fetch for the whole wait), {r.ShortFetchWait.Count} runs one after the other:");
        sb.AppendLine();
        sb.AppendLine("| rate (events/s) | measured | events sent / received | visible p50 | visible p99 | visible p99.9 | visible max | committed p50 | committed p99 | committed p99.9 | allocated per event | gen0 GCs/s |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var p in r.ShortFetchWait) Row(sb, p);
        sb.AppendLine();
        static double Median(IEnumerable<double> xs) { var a = xs.Order().ToArray(); return a.Length == 0 ? double.NaN : a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2; }
        sb.AppendLine($"Median of the {r.ShortFetchWait.Count} runs: visible p50 {Median(r.ShortFetchWait.Select(p => p.P50)):F1} ms, p99 {Median(r.ShortFetchWait.Select(p => p.P99)):F1} ms, p99.9 {Median(r.ShortFetchWait.Select(p => p.P999)):F1} ms.");
        sb.AppendLine();
        sb.AppendLine($"Highest rate with visible p99 under {BoundMs:0} ms (stepping 10k, 20k, 30k, 40k, 50k, 60k, 80k, 100k, … events/s until p99 ≥ {BoundMs:0} ms or under 99% received): " +
            (r.MaxRateUnder50Ms is { } m ? $"**{m:N0} events/s**" : "**none of the steps**") +
            (r.FirstFailingRate is { } f ? $" (the next step, {f:N0} events/s, failed)." : " (no step failed)."));
        sb.AppendLine();
        sb.AppendLine("| search step (events/s) | events sent / received | visible p50 | visible p99 | visible p99.9 | passes |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | :---: |");
        foreach (var p in r.Search)
            sb.AppendLine($"| {p.Rate:N0} | {p.Sent:N0} / {p.Received:N0} | {p.P50:F1} ms | {p.P99:F1} ms | {p.P999:F1} ms | {(Passes(p) ? "yes" : "no")} |");
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, Point p) =>
        sb.AppendLine($"| {p.Rate:N0} | {p.Seconds:0} s | {p.Sent:N0} / {p.Received:N0} | {p.P50:F1} ms | {p.P99:F1} ms | {p.P999:F1} ms | {p.Max:F1} ms | {p.CommittedP50:F0} ms | {p.CommittedP99:F0} ms | {p.CommittedP999:F0} ms | {p.AllocatedBytesPerEvent:N0} B | {p.Gen0PerSecond} |");
}
