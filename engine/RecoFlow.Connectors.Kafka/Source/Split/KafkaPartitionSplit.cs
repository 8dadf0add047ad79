using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// One Kafka partition as a unit of source work (Flink: KafkaPartitionSplit): the partition, where reading starts
/// and, in bounded mode, where it stops. The typed form of what the runtime stores as a
/// <see cref="Api.Connectors.SourceSplit"/>; <see cref="KafkaPartitionSplitSerializer"/> converts between the two, so
/// no other code parses split ids or descriptors.
/// </summary>
public sealed record KafkaPartitionSplit
{
    /// <param name="topic">The topic (not empty).</param>
    /// <param name="partition">The partition (0 or more).</param>
    /// <param name="startingOffset">The next offset to read, or <see cref="KafkaSource.UnsetPosition"/> (any negative value) when the start mode decides.</param>
    /// <param name="stoppingOffset">The end offset (exclusive) recorded for a bounded read; null while none is recorded.</param>
    public KafkaPartitionSplit(string topic, int partition, long startingOffset = KafkaSource.UnsetPosition, long? stoppingOffset = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (stoppingOffset is { } stop) ArgumentOutOfRangeException.ThrowIfNegative(stop, nameof(stoppingOffset));
        Topic = topic;
        Partition = partition;
        StartingOffset = startingOffset;
        StoppingOffset = stoppingOffset;
    }

    public string Topic { get; }
    public int Partition { get; }

    /// <summary>The next offset to read; negative (<see cref="KafkaSource.UnsetPosition"/>) on a fresh start, before the reader resolved the start mode.</summary>
    public long StartingOffset { get; init; }

    /// <summary>The end offset (exclusive) of a bounded read, recorded when a reader first got the split; null: none (unbounded, or not resolved yet).</summary>
    public long? StoppingOffset { get; }

    /// <summary>True when <see cref="StartingOffset"/> is a concrete offset (a restored split, or one a reader resolved).</summary>
    public bool HasStartingOffset => StartingOffset >= 0;

    /// <summary>The id the runtime knows the split by (per-split watermarks, split redistribution): "topic-partition".</summary>
    public string SplitId => KafkaPartitionSplitSerializer.SplitId(Topic, Partition);

    public TopicPartition TopicPartition => new(Topic, new Partition(Partition));

    public override string ToString() =>
        $"{SplitId}@{StartingOffset}{(StoppingOffset is { } stop ? $"..{stop}" : "")}";
}
