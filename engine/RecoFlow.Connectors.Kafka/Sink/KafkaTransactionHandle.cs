using System.Text.Json;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The handle of a pre-committed Kafka transaction, stored in the checkpoint (Flink: KafkaCommittable, written by
/// KafkaCommittableSerializer; here JSON bytes). <paramref name="Subtask"/> and <paramref name="PoolSize"/> say which
/// transactional ids the writing subtask used (slots 0 .. PoolSize-1), so a restored writer can fence them all;
/// handles of the single-producer writer have neither (-1, 0).
/// </summary>
public sealed record KafkaTransactionHandle(string TransactionalId, long Epoch, int Subtask = -1, int PoolSize = 0)
{
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, KafkaJson.Options);

    public static KafkaTransactionHandle FromBytes(byte[] bytes) =>
        JsonSerializer.Deserialize<KafkaTransactionHandle>(bytes, KafkaJson.Options) ?? throw new FormatException("empty Kafka transaction handle");
}
