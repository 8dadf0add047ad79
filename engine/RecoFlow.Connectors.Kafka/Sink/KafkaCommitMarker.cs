using System.Text;
using System.Text.Json;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Where the commit marker of one pre-committed transaction's output went. The exactly-once sink writes, in the same
/// transaction as a checkpoint epoch's records, one marker record whose value names a random <paramref name="Nonce"/>;
/// the marker is visible to a read_committed reader exactly when those records are (Kafka commits a transaction's
/// partitions atomically). Recovery reads it to learn whether the records were committed before it sends them again.
/// </summary>
/// <param name="Topic">The marker topic (<see cref="KafkaSinkOptions.CommitMarkerTopic"/>).</param>
/// <param name="Partition">The subtask's partition of it (subtask mod partition count).</param>
/// <param name="Offset">The offset the original marker got (recovery reads from there).</param>
/// <param name="Nonce">Unique per checkpoint epoch and subtask: a re-send writes a marker with the same nonce.</param>
public sealed record KafkaCommitMarker(string Topic, int Partition, long Offset, string Nonce)
{
    private sealed record Value(string Nonce, int Subtask, long Checkpoint, int Records);

    /// <summary>The marker record of epoch <paramref name="checkpointId"/> of <paramref name="subtask"/> (key: the sink's transactional-id prefix and subtask).</summary>
    public static KafkaRecord Record(string prefix, int subtask, long checkpointId, int records, string nonce, int partition) =>
        new(partition, Encoding.UTF8.GetBytes($"{prefix}-{subtask}"),
            JsonSerializer.SerializeToUtf8Bytes(new Value(nonce, subtask, checkpointId, records), KafkaJson.Options), KafkaRecord.NoTimestamp);

    /// <summary>The nonce of a marker record's value; null if the value is not a marker.</summary>
    public static string? NonceOf(byte[]? value)
    {
        if (value is null || value.Length == 0) return null;
        try
        {
            return JsonSerializer.Deserialize<Value>(value, KafkaJson.Options)?.Nonce;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
