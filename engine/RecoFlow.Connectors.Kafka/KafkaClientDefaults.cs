using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Client configurations tuned for low latency and for the development broker (fast group joins,
/// short fetch waits, Nagle off). Each call returns a new object the caller may adjust.
/// Every method first calls <see cref="LibrdkafkaLoader.EnsureLoaded"/>, so build clients from these
/// (or call the loader yourself) before touching any other Confluent.Kafka API.
/// </summary>
public static class KafkaClientDefaults
{
    /// <summary>Upper bound on how long a caught-up consumer's fetch waits at the broker for new data.</summary>
    public const int FetchWaitMaxMs = 10;

    /// <summary>Producer batching delay.</summary>
    public const double LingerMs = 2;

    /// <summary>Consumer group session timeout: a dead member is noticed within this time.</summary>
    public const int SessionTimeoutMs = 6000;

    /// <summary>Producer: acks=all, 2 ms linger, Nagle off, fail a message after 30 s.</summary>
    public static ProducerConfig Producer(string bootstrapServers)
    {
        LibrdkafkaLoader.EnsureLoaded();
        return new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            Acks = Acks.All,
            LingerMs = LingerMs,
            SocketNagleDisable = true,
            MessageTimeoutMs = 30_000,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 1_000,
        };
    }

    /// <summary>Consumer: 10 ms fetch wait, 6 s session timeout with 500 ms heartbeats, earliest offset
    /// when none is committed, auto-commit off (RecoFlow keeps offsets in checkpoints), Nagle off.</summary>
    public static ConsumerConfig Consumer(string bootstrapServers, string groupId)
    {
        LibrdkafkaLoader.EnsureLoaded();
        return new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            FetchWaitMaxMs = FetchWaitMaxMs,
            FetchErrorBackoffMs = 50,
            SessionTimeoutMs = SessionTimeoutMs,
            HeartbeatIntervalMs = 500,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnablePartitionEof = false,
            SocketNagleDisable = true,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 1_000,
        };
    }

    /// <summary>Admin client. Do not call ListConsumerGroups against the dev broker: it crashes the client.</summary>
    public static AdminClientConfig Admin(string bootstrapServers)
    {
        LibrdkafkaLoader.EnsureLoaded();
        return new AdminClientConfig
        {
            BootstrapServers = bootstrapServers,
            SocketNagleDisable = true,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 1_000,
        };
    }
}
