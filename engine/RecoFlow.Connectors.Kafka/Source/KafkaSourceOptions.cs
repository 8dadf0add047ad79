using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>Where a partition starts when its split has no position yet (a fresh run; restored splits resume at their position).</summary>
public enum KafkaStartMode
{
    /// <summary>The earliest offset still retained.</summary>
    Earliest,
    /// <summary>The end of the partition when the reader gets the split: only records produced afterwards.</summary>
    Latest,
    /// <summary>The first record whose timestamp is at or after <see cref="KafkaSourceOptions.StartTimestampMs"/> (the end if none).</summary>
    Timestamp,
    /// <summary>The consumer group's committed offset; <see cref="KafkaSourceOptions.CommittedFallback"/> where none is committed.</summary>
    Committed,
}

/// <summary>When a split ends.</summary>
public enum KafkaStopMode
{
    /// <summary>Never: the source is unbounded.</summary>
    Never,
    /// <summary>At the partition's end offset recorded when the reader got the split (Flink: setBounded(OffsetsInitializer.latest())); kept in the split as its stopping offset.</summary>
    Latest,
}

/// <summary>
/// Options of a <see cref="KafkaSource{T}"/> (Flink: what KafkaSourceBuilder collects — setTopics/setTopicPattern,
/// setStartingOffsets, setBounded, setGroupId, setProperty — as one record with init properties, the form the jobs
/// and the CLI build).
/// </summary>
public sealed record KafkaSourceOptions
{
    /// <summary>Comma-separated host:port list.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>Topics to read; or set <see cref="TopicPattern"/>.</summary>
    public IReadOnlyList<string> Topics { get; init; } = [];

    /// <summary>A regular expression matched against the whole topic name (topics existing when the job starts).</summary>
    public string? TopicPattern { get; init; }

    /// <summary>Consumer group: used only for the <see cref="KafkaStartMode.Committed"/> start and for committing checkpointed offsets (monitoring).</summary>
    public string GroupId { get; init; } = "recoflow";

    public KafkaStartMode StartFrom { get; init; } = KafkaStartMode.Earliest;

    /// <summary>For <see cref="KafkaStartMode.Timestamp"/>: epoch milliseconds.</summary>
    public long? StartTimestampMs { get; init; }

    /// <summary>For <see cref="KafkaStartMode.Committed"/>: where a partition without a committed offset starts (Earliest or Latest).</summary>
    public KafkaStartMode CommittedFallback { get; init; } = KafkaStartMode.Earliest;

    public KafkaStopMode StopAt { get; init; } = KafkaStopMode.Never;

    /// <summary>Dead-letter topic of a record that fails to deserialise; <c>{topic}</c> is replaced by the record's topic. Null: no topic (dead letters are still reported to the job).</summary>
    public string? DeadLetterTopic { get; init; } = "{topic}.dlq";

    /// <summary>How long listing partitions and resolving start/end offsets may wait for the brokers before the job fails.</summary>
    public TimeSpan MetadataMaxWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Timeout of one metadata or offset request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Extra librdkafka consumer properties (override the defaults of <see cref="KafkaClientDefaults.Consumer"/>).</summary>
    public IReadOnlyDictionary<string, string>? ConsumerProperties { get; init; }

    /// <summary>Extra librdkafka producer properties for the dead-letter producer.</summary>
    public IReadOnlyDictionary<string, string>? ProducerProperties { get; init; }

    /// <summary>Operational log; default <see cref="KafkaLog.Default"/>.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Called when a reader gets splits (subtask index, the splits); for monitoring and tests.</summary>
    public Action<int, IReadOnlyList<SourceSplit>>? OnSplitsAssigned { get; init; }
}
