using System.Globalization;

namespace RecoFlow.Connectors.Kafka;

/// <summary>One partition after a produce: how many messages went to it, and how many of the oldest of them the broker dropped.</summary>
/// <param name="FirstOffset">Offset of the first message produced to it now (-1: none acknowledged).</param>
/// <param name="LogStart">The partition's low watermark (first offset the broker still has) after the produce.</param>
public sealed record PartitionRetention(int Partition, long Produced, long FirstOffset, long LogStart)
{
    /// <summary>The oldest messages of this produce that the broker no longer has.</summary>
    public long Dropped => FirstOffset < 0 ? 0 : Math.Clamp(LogStart - FirstOffset, 0, Produced);

    public string Describe() => Dropped == 0
        ? string.Create(CultureInfo.InvariantCulture, $"partition {Partition}: {Produced:N0} produced, all kept")
        : string.Create(CultureInfo.InvariantCulture, $"partition {Partition}: {Produced:N0} produced, the broker dropped the oldest {Dropped:N0} (its log starts at offset {LogStart:N0})");
}

/// <summary>
/// Follows the low watermarks (log start offsets) of partitions, to say when a broker dropped messages: the
/// development broker keeps about 5 MiB per partition and deletes the oldest beyond that without telling anyone.
/// </summary>
public sealed class RetentionWatch
{
    private readonly Dictionary<(string Topic, int Partition), long> _logStarts = [];

    /// <summary>
    /// Records <paramref name="logStart"/> of a partition and returns how many messages were dropped since the last
    /// call for it (since offset 0 on the first call: a partition's log starts at 0).
    /// </summary>
    public long Update(string topic, int partition, long logStart)
    {
        var known = _logStarts.TryGetValue((topic, partition), out var before) ? before : 0;
        if (logStart <= known) return 0;
        _logStarts[(topic, partition)] = logStart;
        return logStart - known;
    }

    /// <summary>The line the development broker prints for a partition that lost messages.</summary>
    public static string Describe(string topic, int partition, long dropped, long logStart) => string.Create(CultureInfo.InvariantCulture,
        $"dropped: {topic}-{partition}: the oldest {dropped:N0} message(s) (the log now starts at offset {logStart:N0}; the development broker keeps about 5 MiB per partition)");
}

/// <summary>What a Kafka source says when it starts or resumes below a partition's log start (Flink logs the same).</summary>
public static class LogStartCheck
{
    /// <summary>
    /// The warning for a split of <paramref name="splitId"/> whose position <paramref name="position"/> (restored from a
    /// checkpoint or committed: <paramref name="origin"/>) is below the partition's log start; null when it is not.
    /// </summary>
    public static string? Below(string splitId, long position, long logStart, string origin) => position >= 0 && position < logStart
        ? string.Create(CultureInfo.InvariantCulture,
            $"{splitId}: the {origin} offset {position:N0} is below the partition's log start {logStart:N0}: {logStart - position:N0} message(s) were deleted by the broker before they were read; reading from {logStart:N0}")
        : null;

    /// <summary>The warning for a split that starts at the earliest offset of a partition whose log no longer starts at 0.</summary>
    public static string? Earliest(string splitId, long logStart) => logStart > 0
        ? string.Create(CultureInfo.InvariantCulture,
            $"{splitId}: starts at the partition's log start, offset {logStart:N0}: the {logStart:N0} message(s) before it are no longer on the broker (retention) and are skipped")
        : null;
}

/// <summary>The outcome of <see cref="KafkaTools.ProduceFileWithReportAsync"/>: messages acknowledged, and per partition what the broker kept.</summary>
public sealed record ProduceReport(long Delivered, IReadOnlyList<PartitionRetention> Partitions)
{
    /// <summary>Messages of this produce the broker dropped (the oldest of their partitions).</summary>
    public long Dropped => Partitions.Sum(p => p.Dropped);
}
