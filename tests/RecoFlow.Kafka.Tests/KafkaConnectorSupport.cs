using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Kafka.Tests;

/// <summary>A JSON event as the source reads it (snake_case on the wire).</summary>
public sealed record ClickEvent(string UserId, long Ts, string Kind);

internal static class KafkaTestData
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);
    public const long WindowMs = 10_000;

    /// <summary>Produces raw values to explicit partitions with explicit Kafka timestamps; returns (partition, offset) per message in order.</summary>
    public static List<(int Partition, long Offset)> Produce(string bootstrap, string topic, IReadOnlyList<(int Partition, string? Key, byte[] Value, long Timestamp)> messages)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientDefaults.Producer(bootstrap)).Build();
        var offsets = new (int, long)[messages.Count];
        var errors = new ConcurrentQueue<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            var index = i;
            var (p, k, v, ts) = messages[i];
            producer.Produce(new TopicPartition(topic, p),
                new Message<byte[], byte[]> { Key = k is null ? null! : Encoding.UTF8.GetBytes(k), Value = v, Timestamp = new Timestamp(ts, TimestampType.CreateTime) },
                r =>
                {
                    if (r.Error.IsError) errors.Enqueue(r.Error.Reason);
                    else offsets[index] = (r.Partition.Value, r.Offset.Value);
                });
        }
        Assert.Equal(0, producer.Flush(TestTimeout));
        Assert.Empty(errors);
        return [.. offsets];
    }

    public static byte[] Json(ClickEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, KafkaJson.Options);

    /// <summary>Events with per-partition increasing timestamps (jitter below the watermark bound), user i on partition i mod partitions.</summary>
    public static List<(int Partition, ClickEvent Event)> Events(int partitions, int count, int users, int seed, long baseTs = 1_700_000_000_000)
    {
        var rng = new Random(seed);
        var list = new List<(int, ClickEvent)>(count);
        for (var i = 0; i < count; i++)
        {
            var user = rng.Next(users);
            var ts = baseTs + i * 37L + rng.Next(-1500, 1500);
            list.Add((user % partitions, new ClickEvent($"u{user}", ts, i % 3 == 0 ? "view" : "click")));
        }
        return list;
    }

    public static Dictionary<(string User, long Start), long> ExpectedCounts(IEnumerable<ClickEvent> events) =>
        events.GroupBy(e => (e.UserId, Start: TimeWindow.WindowStart(e.Ts, 0, WindowMs))).ToDictionary(g => g.Key, g => (long)g.Count());

    /// <summary>keyBy(user) → 10 s tumbling event-time windows → count.</summary>
    public static DataStream<(string User, long Start, long Count)> CountPerUser(DataStream<ClickEvent> events) =>
        events.KeyBy(e => e.UserId)
            .Window(TumblingWindows<ClickEvent>.OfEventTime(TimeSpan.FromMilliseconds(WindowMs)))
            .Aggregate(new CountAggregate<ClickEvent>(), (user, w, n) => (user, w.Start, n));

    /// <summary>Kafka timestamps are the event time (no assigner): proves the source attaches them.</summary>
    public static WatermarkStrategy<ClickEvent> Watermarks() => WatermarkStrategy<ClickEvent>.ForBoundedOutOfOrderness(TimeSpan.FromSeconds(2));

    public static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail($"condition not met within {timeout}: {describe()}");
            await Task.Delay(20);
        }
    }

    /// <summary>Reads every partition of a topic from the beginning until <paramref name="expected"/> messages arrived.</summary>
    public static List<ConsumeResult<byte[], byte[]>> ConsumeAll(string bootstrap, string topic, int expected, TimeSpan? timeout = null)
    {
        var config = KafkaClientDefaults.Consumer(bootstrap, "verify-" + Guid.NewGuid().ToString("N"));
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(bootstrap)).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single(t => t.Topic == topic).Partitions.Select(p => p.PartitionId).ToList();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var result = new List<ConsumeResult<byte[], byte[]>>();
        var clock = Stopwatch.StartNew();
        while (result.Count < expected && clock.Elapsed < (timeout ?? TestTimeout))
        {
            var r = consumer.Consume(200);
            if (r is not null && !r.IsPartitionEOF) result.Add(r);
        }
        consumer.Close();
        return result;
    }
}

/// <summary>Collects log lines of the connectors for assertions (and echoes them to the test output stream).</summary>
internal sealed class LogCapture
{
    private readonly ConcurrentQueue<string> _lines = new();
    public Action<string> Log => line => { _lines.Enqueue(line); Console.Error.WriteLine(line); };
    public IReadOnlyList<string> Lines => [.. _lines];
    public bool Contains(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));
}
