using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using HdrHistogram;
using RecoFlow.Api.Streams;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;

namespace RecoFlow.Bench;

/// <summary>
/// The Kafka row of <c>recoflow bench</c>: YSB from a topic of the development broker (in this process) to a Kafka sink
/// topic on the same broker. Throughput: pre-produced events read to the end (bounded), events / job time. Latency:
/// events produced live at a fixed rate with event time = produce time; for each window result read back from the
/// sink topic, latency = read time − (window end + max out-of-orderness), i.e. from the moment the last event the
/// window needed was produced to the moment its result could be consumed.
/// </summary>
internal static class KafkaBench
{
    public sealed record Result(string Name, long Events, double EventsPerSecond, int LatencyRate, long LatencySamples, long Windows, double P50Ms, double P99Ms, double MaxMs);

    private const int Partitions = 6;
    private const int SourceParallelism = 2;
    private static readonly TimeSpan LatencyWindow = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LatencyLag = TimeSpan.FromMilliseconds(200);

    public static async Task<Result> RunAsync(bool quick, CancellationToken ct)
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1 });
        var table = YsbData.Campaigns();
        var campaigns = table.ToDictionary(t => t.Ad, t => t.Campaign);
        await using var runtime = LocalRuntime.Start();

        // Throughput. The dev broker keeps ~5 MiB per partition: 150k events of ~170 bytes over 6 partitions fit.
        var n = quick ? 100_000 : 150_000;
        var runs = quick ? 1 : 3;
        var values = YsbData.Generate(n, 1, table).Select(e => Encoding.UTF8.GetBytes(e.ToJson())).ToArray();
        var rates = new List<double>();
        for (var run = 0; run < runs + 1; run++)
        {
            ct.ThrowIfCancellationRequested();
            var input = $"bench-in-{run}";
            broker.CreateTopic(input, Partitions);
            broker.CreateTopic($"bench-out-{run}", Partitions);
            Produce(broker.BootstrapServers, input, values);
            var job = new StreamJob("ysb-kafka-bench");
            var source = YsbSources.Kafka(new KafkaSourceOptions { BootstrapServers = broker.BootstrapServers, Topics = [input], StopAt = KafkaStopMode.Latest, Log = Quiet });
            YsbJob.Pipeline(job, source, () => campaigns, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), SourceParallelism).Counts
                .SinkTo(Sink(broker.BootstrapServers, $"bench-out-{run}"));
            var sw = Stopwatch.StartNew();
            var client = runtime.Submit(job.Build());
            await client.WaitAsync(ct);
            var seconds = sw.Elapsed.TotalSeconds;
            var read = client.Metrics.Tasks.Sum(t => t.RecordsRead);
            if (read != n) throw new InvalidOperationException($"YSB Kafka bench: the job read {read} of {n} events (dev broker retention?)");
            if (run > 0) rates.Add(n / seconds); // run 0 warms up
        }
        rates.Sort();
        var eventsPerSecond = rates[rates.Count / 2];

        var (rate, samples, windows, histogram) = await LatencyAsync(broker, runtime, table, campaigns, quick ? TimeSpan.FromSeconds(8) : TimeSpan.FromSeconds(30), ct);
        double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;
        return new Result("YSB produce → dev broker → YSB → Kafka sink", n, eventsPerSecond, rate, samples, windows, Ms(50), Ms(99), histogram.GetMaxValue() / 1000.0);
    }

    private static void Quiet(string line)
    {
        if (!line.Contains("assigned", StringComparison.Ordinal)) KafkaLog.Default(line);
    }

    private static KafkaSink<YsbResult> Sink(string bootstrap, string topic) =>
        new(new KafkaSinkOptions { BootstrapServers = bootstrap, Topic = topic, Delivery = KafkaDeliveryGuarantee.AtLeastOnce, Log = Quiet },
            r => Encoding.UTF8.GetBytes(r.ToJson()), r => r.CampaignId);

    private static void Produce(string bootstrap, string topic, byte[][] values)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientDefaults.Producer(bootstrap)).SetLogHandler((_, _) => { }).Build();
        for (var i = 0; i < values.Length; i++)
        {
            var message = new Message<byte[], byte[]> { Value = values[i] };
            var tp = new TopicPartition(topic, i % Partitions);
            while (true)
            {
                try
                {
                    producer.Produce(tp, message);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }
        if (producer.Flush(TimeSpan.FromSeconds(60)) > 0) throw new InvalidOperationException("YSB Kafka bench: events not acknowledged by the dev broker");
    }

    private static async Task<(int Rate, long Samples, long Windows, LongHistogram Histogram)> LatencyAsync(DevKafkaBroker broker, LocalRuntime runtime,
        IReadOnlyList<(string Ad, string Campaign)> table, Dictionary<string, string> campaigns, TimeSpan duration, CancellationToken ct)
    {
        const int rate = 20_000;
        broker.CreateTopic("latency-in", Partitions);
        broker.CreateTopic("latency-out", 1);
        var job = new StreamJob("ysb-kafka-latency");
        var source = YsbSources.Kafka(new KafkaSourceOptions { BootstrapServers = broker.BootstrapServers, Topics = ["latency-in"], Log = Quiet });
        YsbJob.Pipeline(job, source, () => campaigns, LatencyWindow, LatencyLag, SourceParallelism).Counts.SinkTo(Sink(broker.BootstrapServers, "latency-out"));
        var client = runtime.Submit(job.Build());

        var histogram = new LongHistogram(TimeSpan.FromMinutes(1).Ticks / 10, 3); // microseconds
        long samples = 0;
        var windows = new HashSet<long>();
        using var stop = new CancellationTokenSource();
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var measureFrom = start + 3_000; // the first windows include start-up (JIT, partition assignment)
        var consumer = Task.Run(() =>
        {
            using var c = new ConsumerBuilder<byte[], byte[]>(KafkaClientDefaults.Consumer(broker.BootstrapServers, "bench-latency")).SetLogHandler((_, _) => { }).Build();
            c.Assign(new TopicPartitionOffset("latency-out", 0, Offset.Beginning));
            while (!stop.IsCancellationRequested)
            {
                var r = c.Consume(50);
                if (r?.Message?.Value is not { } v) continue;
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                using var doc = JsonDocument.Parse(v);
                var windowStart = doc.RootElement.GetProperty("window_start").GetInt64();
                var windowEnd = doc.RootElement.GetProperty("window_end").GetInt64();
                if (windowStart < measureFrom) continue;
                var latencyMs = now - (windowEnd + (long)LatencyLag.TotalMilliseconds);
                histogram.RecordValue(Math.Max(0, latencyMs) * 1000);
                samples++;
                windows.Add(windowStart);
            }
            c.Close();
        }, CancellationToken.None);

        var rng = new Random(7);
        using (var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientDefaults.Producer(broker.BootstrapServers)).SetLogHandler((_, _) => { }).Build())
        {
            var clock = Stopwatch.StartNew();
            long sent = 0;
            while (clock.Elapsed < duration)
            {
                ct.ThrowIfCancellationRequested();
                var due = (long)(clock.Elapsed.TotalSeconds * rate);
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                for (; sent < due; sent++)
                {
                    var e = new YsbEvent($"user-{rng.Next(100_000)}", $"page-{rng.Next(10_000)}", table[rng.Next(table.Count)].Ad, "banner",
                        YsbData.EventTypes[rng.Next(3)], now - rng.Next(100), "10.0.0.1");
                    producer.Produce(new TopicPartition("latency-in", (int)(sent % Partitions)), new Message<byte[], byte[]> { Value = Encoding.UTF8.GetBytes(e.ToJson()) });
                }
                await Task.Delay(2, ct);
            }
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        // Let the windows that the last events closed come through, then stop.
        await Task.Delay(LatencyWindow + LatencyLag + TimeSpan.FromSeconds(1), ct);
        await stop.CancelAsync();
        await consumer;
        client.Cancel();
        await client.Completion;
        if (samples == 0) throw new InvalidOperationException($"YSB Kafka latency bench: no window results after {measureFrom - start} ms of warm-up");
        return (rate, samples, windows.Count, histogram);
    }
}
