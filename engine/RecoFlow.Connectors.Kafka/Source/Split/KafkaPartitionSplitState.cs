using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// A split while a reader holds it (Flink: KafkaPartitionSplitState): the position moves with every record, the end
/// is resolved once. Mutable and reader-thread only; <see cref="ToSplit"/> gives the immutable split for a snapshot.
/// </summary>
internal sealed class KafkaPartitionSplitState(KafkaPartitionSplit split)
{
    /// <summary>The end of a split without a stopping offset (unbounded, or bounded before the end is resolved).</summary>
    public const long NoEnd = long.MaxValue;

    /// <summary>Computed once: the reader passes this string with every record it emits.</summary>
    public string SplitId { get; } = split.SplitId;

    public TopicPartition Partition { get; } = split.TopicPartition;

    /// <summary>The next offset to read; negative until the start mode is resolved.</summary>
    public long Position { get; set; } = split.StartingOffset;

    /// <summary>The end offset (exclusive), or <see cref="NoEnd"/>.</summary>
    public long End { get; set; } = split.StoppingOffset ?? NoEnd;

    public bool Finished { get; set; }

    public KafkaPartitionSplit ToSplit() =>
        new(Partition.Topic, Partition.Partition.Value, Position, End == NoEnd ? null : End);
}
