using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka.DevBroker;

/// <summary>Body of <c>recoflow dev-broker</c>: runs a <see cref="DevKafkaBroker"/> until cancelled.</summary>
public static class DevBrokerCommand
{
    /// <summary>How often the broker looks for partitions that dropped their oldest messages.</summary>
    public static readonly TimeSpan RetentionCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Starts the broker, writes <c>bootstrap.servers=&lt;list&gt;</c> and <c>topics=&lt;name:partitions,...&gt;</c>
    /// (one line each) to <paramref name="output"/> (default: stdout), then waits for
    /// <paramref name="cancellationToken"/> and shuts the broker down. Meanwhile, every second, it writes a
    /// <c>dropped: TOPIC-PARTITION: the oldest N message(s) ...</c> line for each partition whose log start moved (the
    /// mock cluster keeps about 5 MiB per partition and deletes older messages silently). Returns the exit code (0).
    /// Start failures (port in use, bad options) propagate as exceptions.
    /// </summary>
    public static async Task<int> RunAsync(DevBrokerOptions options, CancellationToken cancellationToken,
        TextWriter? output = null)
    {
        output ??= Console.Out;
        await using var broker = DevKafkaBroker.Start(options);
        await output.WriteLineAsync($"bootstrap.servers={broker.BootstrapServers}").ConfigureAwait(false);
        var topics = string.Join(",", broker.Topics.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}:{t.Value}"));
        await output.WriteLineAsync($"topics={topics}").ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);

        try
        {
            await Task.Run(() => WatchRetention(broker.BootstrapServers, output, cancellationToken), CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Normal shutdown.
        }

        return 0;
    }

    /// <summary>Reports, until cancelled, every partition of every topic whose oldest messages the broker dropped.</summary>
    public static void WatchRetention(string bootstrapServers, TextWriter output, CancellationToken cancellationToken)
    {
        var watch = new RetentionWatch();
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(bootstrapServers)).SetLogHandler((_, _) => { }).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClientDefaults.Consumer(bootstrapServers, "recoflow-dev-broker-retention"))
            .SetLogHandler((_, _) => { }).Build();
        while (!cancellationToken.WaitHandle.WaitOne(RetentionCheckInterval))
        {
            try
            {
                foreach (var t in admin.GetMetadata(TimeSpan.FromSeconds(5)).Topics)
                {
                    if (t.Error.IsError || t.Topic.StartsWith("__", StringComparison.Ordinal)) continue;
                    foreach (var p in t.Partitions)
                    {
                        var low = consumer.QueryWatermarkOffsets(new TopicPartition(t.Topic, p.PartitionId), TimeSpan.FromSeconds(5)).Low.Value;
                        if (watch.Update(t.Topic, p.PartitionId, low) is > 0 and var dropped)
                        {
                            lock (output) output.WriteLine(RetentionWatch.Describe(t.Topic, p.PartitionId, dropped, low));
                            output.Flush();
                        }
                    }
                }
            }
            catch (KafkaException)
            {
                // The broker is shutting down, or a topic is being created: look again next time.
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
    }
}
