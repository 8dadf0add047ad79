using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>Entry points for the CLI's Kafka commands (produce a file into a topic, print a topic).</summary>
public static class KafkaTools
{
    /// <summary>
    /// Produces every non-empty line of a JSON Lines file as one message to <paramref name="topic"/>; returns the
    /// number of messages acknowledged. See <see cref="ProduceFileWithReportAsync"/>.
    /// </summary>
    public static async Task<long> ProduceFileAsync(string bootstrap, string topic, string file, double? ratePerSecond, string? keyField, TextWriter log, CancellationToken cancellationToken) =>
        (await ProduceFileWithReportAsync(bootstrap, topic, file, ratePerSecond, keyField, log, cancellationToken)).Delivered;

    /// <summary>
    /// Produces every non-empty line of a JSON Lines file as one message to <paramref name="topic"/>. With
    /// <paramref name="keyField"/> the message key is that top-level field of the line (strings as they are, other
    /// values as their JSON text); a message without a key goes to the partitions in turn (round robin), so that
    /// keyless data spreads evenly (librdkafka's sticky partitioner would put whole batches on one partition). With
    /// <paramref name="ratePerSecond"/> the messages are paced to that rate. Prints the count and the rate achieved,
    /// then, per partition, how many messages went to it and how many of the oldest of them the broker no longer has
    /// (its low watermark beyond the first offset produced now: the development broker keeps about 5 MiB per
    /// partition). Lines that are not JSON objects fail only when a key field is requested (they are counted and skipped).
    /// </summary>
    public static async Task<ProduceReport> ProduceFileWithReportAsync(string bootstrap, string topic, string file, double? ratePerSecond, string? keyField, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (ratePerSecond is <= 0) throw new ArgumentOutOfRangeException(nameof(ratePerSecond), "rate must be positive");
        if (!File.Exists(file)) throw new FileNotFoundException($"input file not found: {file}", file);
        var partitions = await Task.Run(() => PartitionsOf(bootstrap, topic, cancellationToken), CancellationToken.None);
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientDefaults.Producer(bootstrap)).SetLogHandler((_, _) => { }).Build();
        long sent = 0, failed = 0, skipped = 0;
        string? firstError = null;
        var produced = new long[partitions.Count];
        var firstOffsets = Enumerable.Repeat(long.MaxValue, partitions.Count).ToArray();
        var index = partitions.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        void OnDelivery(DeliveryReport<byte[], byte[]> r)
        {
            if (r.Error.IsError)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, r.Error.Reason, null);
                return;
            }
            if (!index.TryGetValue(r.Partition.Value, out var i)) return;
            lock (produced)
            {
                produced[i]++;
                firstOffsets[i] = Math.Min(firstOffsets[i], r.Offset.Value);
            }
        }
        var clock = Stopwatch.StartNew();
        long keyless = 0;
        using (var reader = new StreamReader(file, Encoding.UTF8))
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0) continue;
                byte[]? key = null;
                if (keyField is not null)
                {
                    try
                    {
                        key = KeyOf(line, keyField);
                    }
                    catch (JsonException e)
                    {
                        skipped++;
                        await log.WriteLineAsync($"skipped line {sent + skipped}: {e.Message}");
                        continue;
                    }
                }
                if (ratePerSecond is { } rate)
                {
                    var due = TimeSpan.FromSeconds(sent / rate);
                    if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, cancellationToken);
                }
                var message = new Message<byte[], byte[]> { Key = key!, Value = Encoding.UTF8.GetBytes(line) };
                var target = key is null ? new TopicPartition(topic, new Partition(partitions[(int)(keyless++ % partitions.Count)])) : null;
                while (true)
                {
                    try
                    {
                        if (target is null) producer.Produce(topic, message, OnDelivery);
                        else producer.Produce(target, message, OnDelivery);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        await Task.Run(() => producer.Flush(TimeSpan.FromMilliseconds(100)), cancellationToken);
                    }
                }
                sent++;
            }
        }
        while (await Task.Run(() => producer.Flush(TimeSpan.FromSeconds(1)), cancellationToken) > 0)
            await log.WriteLineAsync("waiting for the brokers to acknowledge…");
        var seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
        var delivered = sent - Interlocked.Read(ref failed);
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"produced {delivered} message(s) to {topic} in {seconds:F2} s ({delivered / seconds:F0} msg/s){(failed > 0 ? $", {failed} failed: {firstError}" : "")}{(skipped > 0 ? $", {skipped} line(s) skipped" : "")}"));

        var logStarts = await Task.Run(() => LogStartsOf(bootstrap, topic, partitions, cancellationToken), CancellationToken.None);
        var retention = new List<PartitionRetention>(partitions.Count);
        lock (produced)
            for (var i = 0; i < partitions.Count; i++)
                retention.Add(new PartitionRetention(partitions[i], produced[i], produced[i] == 0 ? -1 : firstOffsets[i], logStarts[i]));
        foreach (var p in retention) await log.WriteLineAsync(p.Describe());
        var report = new ProduceReport(delivered, retention);
        if (report.Dropped > 0)
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"the broker dropped {report.Dropped:N0} of the {delivered:N0} message(s) just produced to {topic}: produce less per partition, or to more partitions, or consume as you go"));
        return report;
    }

    /// <summary>The partition ids of <paramref name="topic"/> (retried until it exists, up to a minute).</summary>
    private static List<int> PartitionsOf(string bootstrap, string topic, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(bootstrap)).SetLogHandler((_, _) => { }).Build();
        return KafkaRetry.Run(() =>
        {
            var t = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.Find(x => x.Topic == topic);
            if (t is null || t.Error.Code != ErrorCode.NoError || t.Partitions.Count == 0)
                throw new KafkaRetryableStateException($"topic {topic} not found");
            return t.Partitions.Select(p => p.PartitionId).Order().ToList();
        }, $"partitions of {topic}", TimeSpan.FromMinutes(1), _ => { }, cancellationToken);
    }

    /// <summary>The low watermark (first offset still kept) of each of <paramref name="partitions"/>.</summary>
    private static long[] LogStartsOf(string bootstrap, string topic, List<int> partitions, CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClientDefaults.Consumer(bootstrap, "recoflow-produce-" + Guid.NewGuid().ToString("N")))
            .SetLogHandler((_, _) => { }).Build();
        return partitions.Select(p => KafkaRetry.Run(() => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).Low.Value,
            $"offsets of {topic}-{p}", TimeSpan.FromMinutes(1), _ => { }, cancellationToken)).ToArray();
    }

    private static byte[]? KeyOf(string line, string field)
    {
        using var doc = JsonDocument.Parse(line);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return Encoding.UTF8.GetBytes(v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText());
    }

    /// <summary>
    /// Prints the values of <paramref name="topic"/>'s messages (UTF-8), one per line, from the beginning or from now on,
    /// until <paramref name="max"/> messages were printed or the token is cancelled. Reads every partition by
    /// assignment (no consumer group is joined). Returns the number printed.
    /// </summary>
    public static async Task<long> ConsumeAsync(string bootstrap, string topic, bool fromBeginning, long? max, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        return await Task.Run(async () =>
        {
            var config = KafkaClientDefaults.Consumer(bootstrap, "recoflow-consume-" + Guid.NewGuid().ToString("N"));
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
            using (var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(bootstrap)).SetLogHandler((_, _) => { }).Build())
            {
                var partitions = KafkaRetry.Run(() =>
                {
                    var t = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.Find(x => x.Topic == topic);
                    if (t is null || t.Error.Code != ErrorCode.NoError || t.Partitions.Count == 0)
                        throw new KafkaRetryableStateException($"topic {topic} not found");
                    return t.Partitions.Select(p => p.PartitionId).ToList();
                }, $"partitions of {topic}", TimeSpan.FromMinutes(1), _ => { }, cancellationToken);
                var start = fromBeginning ? Offset.Beginning : Offset.End;
                consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, start)));
            }
            long printed = 0;
            while (!cancellationToken.IsCancellationRequested && (max is null || printed < max))
            {
                ConsumeResult<byte[], byte[]>? r;
                try
                {
                    r = consumer.Consume(100);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    continue;
                }
                if (r is null || r.IsPartitionEOF) continue;
                await output.WriteLineAsync(r.Message.Value is { } v ? Encoding.UTF8.GetString(v) : "");
                printed++;
            }
            await output.FlushAsync(CancellationToken.None);
            consumer.Close();
            return printed;
        }, CancellationToken.None);
    }

    /// <summary>Produces one message (UTF-8 <paramref name="value"/>, no key) and waits for its acknowledgement.</summary>
    public static async Task ProduceOneAsync(string bootstrap, string topic, string value, CancellationToken cancellationToken)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientDefaults.Producer(bootstrap)).SetLogHandler((_, _) => { }).Build();
        await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Value = Encoding.UTF8.GetBytes(value) }, cancellationToken);
    }

    /// <summary>
    /// The values (UTF-8) of every message of <paramref name="topic"/> from the beginning up to the end offsets it had
    /// when reading started, partition by partition (no consumer group is joined).
    /// </summary>
    public static async Task<IReadOnlyList<string>> ReadToEndAsync(string bootstrap, string topic, CancellationToken cancellationToken)
    {
        return await Task.Run(() =>
        {
            var config = KafkaClientDefaults.Consumer(bootstrap, "recoflow-read-" + Guid.NewGuid().ToString("N"));
            config.EnablePartitionEof = true;
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
            List<int> partitions;
            using (var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(bootstrap)).SetLogHandler((_, _) => { }).Build())
            {
                partitions = KafkaRetry.Run(() =>
                {
                    var t = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.Find(x => x.Topic == topic);
                    if (t is null || t.Error.Code != ErrorCode.NoError || t.Partitions.Count == 0)
                        throw new KafkaRetryableStateException($"topic {topic} not found");
                    return t.Partitions.Select(p => p.PartitionId).ToList();
                }, $"partitions of {topic}", TimeSpan.FromMinutes(1), _ => { }, cancellationToken);
            }
            var values = new List<string>();
            foreach (int partition in partitions)
            {
                var tp = new TopicPartition(topic, partition);
                var ends = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
                if (ends.High.Value <= ends.Low.Value) continue;
                consumer.Assign(new TopicPartitionOffset(tp, ends.Low));
                long next = ends.Low.Value;
                while (next < ends.High.Value && !cancellationToken.IsCancellationRequested)
                {
                    ConsumeResult<byte[], byte[]>? r;
                    try
                    {
                        r = consumer.Consume(100);
                    }
                    catch (ConsumeException e) when (!e.Error.IsFatal)
                    {
                        continue;
                    }
                    if (r is null) continue;
                    // A transactional producer's last offset is a commit marker, never delivered: the end of the partition stops the read.
                    if (r.IsPartitionEOF) break;
                    values.Add(r.Message.Value is { } v ? Encoding.UTF8.GetString(v) : "");
                    next = r.Offset.Value + 1;
                }
            }
            consumer.Close();
            cancellationToken.ThrowIfCancellationRequested();
            return (IReadOnlyList<string>)values;
        }, CancellationToken.None);
    }
}
