using System.Globalization;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Converts <see cref="KafkaPartitionSplit"/> to and from the <see cref="SourceSplit"/> the runtime keeps in
/// checkpoints (Flink: KafkaPartitionSplitSerializer, a SimpleVersionedSerializer). Flink writes a version number in
/// front of the split's bytes; here the checkpoint holds the runtime's <see cref="SourceSplit"/> record (MessagePack,
/// see TaskStateSnapshot), so the version lives in the descriptor string.
/// <para>
/// Version 1, the form written since the connector exists and still written, so checkpoints and savepoints of
/// earlier builds restore and a checkpoint of this build restores in them: <c>SplitId = "topic-partition"</c>,
/// <c>Position</c> = the starting offset (<see cref="KafkaSource.UnsetPosition"/> = not resolved yet),
/// <c>Descriptor = "topic"</c> or <c>"topic@stoppingOffset"</c> (null is read as the topic of the id). It carries no
/// version marker.
/// </para>
/// <para>
/// A later version must mark its descriptor <c>"v{n}:…"</c>. A Kafka topic name holds only ASCII letters, digits,
/// '.', '_' and '-', so a descriptor without ':' is always version 1, and <c>"v1:"</c> + a version-1 descriptor reads
/// the same. A marker of an unknown version fails with a message naming it rather than misreading the split.
/// </para>
/// </summary>
public static class KafkaPartitionSplitSerializer
{
    /// <summary>The version <see cref="Serialize"/> writes (and the highest <see cref="Deserialize"/> reads).</summary>
    public const int CurrentVersion = 1;

    private const char StoppingOffsetSeparator = '@';
    private const char VersionMarkerEnd = ':';

    /// <summary>The split id of a partition: "topic-partition" (the runtime's key for per-split watermarks).</summary>
    public static string SplitId(string topic, int partition) => $"{topic}-{partition.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The stored form (version <see cref="CurrentVersion"/>).</summary>
    public static SourceSplit Serialize(KafkaPartitionSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var descriptor = split.StoppingOffset is { } stop
            ? $"{split.Topic}{StoppingOffsetSeparator}{stop.ToString(CultureInfo.InvariantCulture)}"
            : split.Topic;
        return new SourceSplit(split.SplitId, split.StartingOffset, descriptor);
    }

    /// <summary>Reads a stored split of any known version.</summary>
    /// <exception cref="FormatException">The split is not a Kafka split this version can read; the message says why.</exception>
    public static KafkaPartitionSplit Deserialize(SourceSplit stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var (version, descriptor) = ReadVersion(stored);
        return version switch
        {
            1 => ReadVersion1(stored, descriptor),
            _ => throw Malformed(stored, $"it was written by Kafka split format version {version}; this build reads up to version {CurrentVersion}"),
        };
    }

    /// <summary>The format version of a stored split and its descriptor without the version marker.</summary>
    private static (int Version, string? Descriptor) ReadVersion(SourceSplit stored)
    {
        var d = stored.Descriptor;
        var end = d?.IndexOf(VersionMarkerEnd, StringComparison.Ordinal) ?? -1;
        if (end < 0) return (1, d); // no marker: version 1, as every checkpoint written before versions existed
        if (d![0] != 'v' || !int.TryParse(d.AsSpan(1, end - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
            throw Malformed(stored, $"the descriptor has ':' but does not start with a version marker \"v<n>:\" (':' cannot occur in a topic name)");
        return (version, d[(end + 1)..]);
    }

    /// <summary>Version 1: id "topic-partition", descriptor "topic" or "topic@stop" (or null: the topic of the id).</summary>
    private static KafkaPartitionSplit ReadVersion1(SourceSplit stored, string? descriptor)
    {
        var id = stored.SplitId;
        var dash = string.IsNullOrEmpty(id) ? -1 : id.LastIndexOf('-');
        if (dash <= 0 || !int.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
            throw Malformed(stored, "the split id is not \"topic-partition\" with a non-negative partition number");
        var topic = descriptor ?? id[..dash];
        long? stop = null;
        var at = topic.LastIndexOf(StoppingOffsetSeparator);
        if (at >= 0)
        {
            if (!long.TryParse(topic.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var s))
                throw Malformed(stored, "the stopping offset after '@' is not a non-negative integer");
            stop = s;
            topic = topic[..at];
        }
        if (topic.Length == 0) throw Malformed(stored, "the descriptor names no topic");
        if (!string.Equals(SplitId(topic, partition), id, StringComparison.Ordinal))
            throw Malformed(stored, $"the split id does not name topic \"{topic}\" of the descriptor");
        return new KafkaPartitionSplit(topic, partition, stored.Position, stop);
    }

    private static FormatException Malformed(SourceSplit stored, string why) =>
        new($"Kafka source split (id \"{stored.SplitId}\", position {stored.Position}, descriptor {(stored.Descriptor is null ? "null" : $"\"{stored.Descriptor}\"")}) cannot be read: {why}");
}
