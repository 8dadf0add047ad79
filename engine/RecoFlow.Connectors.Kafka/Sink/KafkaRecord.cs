namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// One record as the exactly-once sink produces it, and as it keeps it in the handle of a pre-committed transaction
/// so that recovery can send it again (<see cref="KafkaTransactionHandle.Records"/>).
/// </summary>
/// <param name="Partition">The partition the sink's partitioner chose; -1 = the producer's own (librdkafka's hash of the key).</param>
/// <param name="Key">The key bytes, or null.</param>
/// <param name="Value">The value bytes.</param>
/// <param name="Timestamp">Kafka create time in Unix ms; <see cref="NoTimestamp"/> = the producer's clock.</param>
public sealed record KafkaRecord(int Partition, byte[]? Key, byte[] Value, long Timestamp)
{
    public const long NoTimestamp = -1;
}
