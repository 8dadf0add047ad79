using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Reads commit markers back with <c>isolation.level=read_committed</c> (<see cref="IKafkaCommitMarkerReader"/>), and
/// finds the marker topic's partition count (creating the topic with one partition per sink subtask when it does not
/// exist and the brokers allow it).
/// </summary>
internal sealed class KafkaCommitMarkerReader(KafkaSinkOptions options, Action<string> log, string name) : IKafkaCommitMarkerReader
{
    /// <summary>
    /// Reads the marker's partition from the marker's offset up to the high watermark measured first (every marker that
    /// could carry the nonce was written before): a committed marker with the nonce means committed. A read_committed
    /// reader stops at the last stable offset, so while a transaction opened before that watermark is still open (a
    /// sibling subtask not recovered yet) it waits, up to <see cref="KafkaSinkOptions.MaxWait"/>.
    /// </summary>
    public bool IsCommitted(KafkaCommitMarker marker)
    {
        var tp = new TopicPartition(marker.Topic, new Partition(marker.Partition));
        var config = KafkaClientDefaults.Consumer(options.BootstrapServers, $"recoflow-markers-{Guid.NewGuid():N}");
        config.EnableAutoCommit = false;
        config.EnablePartitionEof = true;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.IsolationLevel = IsolationLevel.ReadUncommitted;
        WatermarkOffsets bounds;
        using (var probe = Build(config))
            bounds = KafkaRetry.Run(() => probe.QueryWatermarkOffsets(tp, options.RequestTimeout), $"offsets of {tp}", options.MaxWait, log);
        if (bounds.High.Value <= marker.Offset)
        {
            log($"{name}: commit marker {marker.Nonce} at {tp}@{marker.Offset} is beyond the partition's end ({bounds.High.Value}): the brokers lost it; its records are sent again");
            return false;
        }
        if (bounds.Low.Value > marker.Offset)
            log($"{name}: commit marker {marker.Nonce} at {tp}@{marker.Offset} is below the partition's start ({bounds.Low.Value}, retention): if its transaction had committed, its records are now written twice");
        config.IsolationLevel = IsolationLevel.ReadCommitted;
        using var consumer = Build(config);
        consumer.Assign(new TopicPartitionOffset(tp, new Offset(Math.Max(marker.Offset, bounds.Low.Value))));
        var clock = Stopwatch.StartNew();
        var logged = TimeSpan.Zero;
        while (clock.Elapsed < options.MaxWait)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r is null) continue;
            if (r.IsPartitionEOF)
            {
                if (r.Offset.Value >= bounds.High.Value) return false;
                if (clock.Elapsed - logged < options.RequestTimeout) continue;
                logged = clock.Elapsed;
                log($"{name}: reading commit markers of {tp}: an open transaction holds the last stable offset at {r.Offset.Value}, below {bounds.High.Value}; waiting");
                continue;
            }
            if (KafkaCommitMarker.NonceOf(r.Message.Value) == marker.Nonce) return true;
            if (r.Offset.Value + 1 >= bounds.High.Value) return false;
        }
        throw new TimeoutException($"{name}: could not read the commit markers of {tp} up to offset {bounds.High.Value} within {options.MaxWait.TotalSeconds:F0} s (a transaction of another producer stays open)");
    }

    private IConsumer<byte[], byte[]> Build(ConsumerConfig config) =>
        new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build();

    /// <summary>
    /// The partition count of <paramref name="topic"/>. A topic that does not exist is created with
    /// <paramref name="partitions"/> partitions (the brokers' default replication); if the brokers refuse, the first
    /// marker's produce may still auto-create it, and metadata is asked again until the topic has partitions.
    /// </summary>
    public int Partitions(string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(options.BootstrapServers)).SetLogHandler((_, _) => { }).Build();
        int Count() => admin.GetMetadata(topic, options.RequestTimeout).Topics.Find(t => t.Topic == topic) is { Error.Code: ErrorCode.NoError, Partitions.Count: > 0 } t ? t.Partitions.Count : 0;
        var count = Count();
        if (count > 0) return count;
        try
        {
            admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Math.Max(1, partitions), ReplicationFactor = -1 }],
                new CreateTopicsOptions { RequestTimeout = options.RequestTimeout }).GetAwaiter().GetResult();
            log($"{name}: created the commit marker topic {topic} with {Math.Max(1, partitions)} partition(s)");
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists))
        {
        }
        catch (KafkaException e)
        {
            // The first marker's produce then creates it if the brokers auto-create topics (partition 0: subtasks share it).
            log($"{name}: could not create the commit marker topic {topic} ({e.Error.Code}: {e.Error.Reason}); its markers go to partition 0");
            return 1;
        }
        return KafkaRetry.Run(() => Count() is > 0 and var n ? n : throw new KafkaRetryableStateException($"commit marker topic {topic} has no partitions in metadata"),
            $"partitions of {topic}", options.MaxWait, log);
    }
}
