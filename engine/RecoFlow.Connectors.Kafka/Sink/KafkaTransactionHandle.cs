using System.Text.Json;
using System.Text.Json.Serialization;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The handle of a pre-committed Kafka transaction, stored in the checkpoint (Flink: KafkaCommittable, written by
/// KafkaCommittableSerializer). <paramref name="Subtask"/> and <paramref name="PoolSize"/> say which transactional
/// ids the writing subtask used (slots 0 .. PoolSize-1), so a restored writer can fence them all; handles of the
/// single-producer writer have neither (-1, 0). Handles of an epoch with records also carry the records and the
/// epoch's <see cref="Marker"/>, so that recovery can commit them once whether or not the transaction had committed
/// (<see cref="KafkaTransactionRecovery"/>); <see cref="KafkaTransactionHandleCodec"/> stores them. Handles written
/// before the records were kept have neither (JSON, still read).
/// </summary>
public sealed record KafkaTransactionHandle(string TransactionalId, long Epoch, int Subtask = -1, int PoolSize = 0)
{
    /// <summary>True for handles of the writer that keeps its records (stored as version 2); false for older handles.</summary>
    public bool RecordsKept { get; init; }

    /// <summary>Where the epoch's commit marker went; null when the epoch had no records, or for an older handle.</summary>
    public KafkaCommitMarker? Marker { get; init; }

    /// <summary>The epoch's records, in the order they were produced (empty with no <see cref="Marker"/>).</summary>
    [JsonIgnore]
    public IReadOnlyList<KafkaRecord> Records { get; init; } = [];

    public byte[] ToBytes() => KafkaTransactionHandleCodec.Encode(this);

    public static KafkaTransactionHandle FromBytes(byte[] bytes) => KafkaTransactionHandleCodec.Decode(bytes);

    /// <summary>Header fields and marker, without the records (the codec writes those after it).</summary>
    internal byte[] HeaderJson() => JsonSerializer.SerializeToUtf8Bytes(this, KafkaJson.Options);

    internal static KafkaTransactionHandle FromHeaderJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<KafkaTransactionHandle>(json, KafkaJson.Options) ?? throw new FormatException("empty Kafka transaction handle");
}
