using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Consumer lag per partition of every running Kafka source subtask in the process, on the meter
/// <see cref="MeterName"/>: gauge <c>recoflow.kafka.consumer.lag</c> (records between the subtask's position and the
/// partition's high watermark, as the consumer last heard it from the broker; tags <c>topic</c>, <c>partition</c>,
/// <c>group</c>, <c>subtask</c>). Readers publish their lags at most once per <see cref="Interval"/> from their own
/// thread; the gauge reads what they published. A node exports it on <c>/metrics</c> as
/// <c>recoflow_kafka_consumer_lag</c>, and <c>dotnet-counters monitor --counters RecoFlow.Kafka</c> shows it for
/// <c>recoflow run</c>.
/// </summary>
public static class KafkaConsumerLag
{
    public const string MeterName = "RecoFlow.Kafka";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<(string Topic, int Partition, string Group, int Subtask), long> Lags = new();

    static KafkaConsumerLag() =>
        Meter.CreateObservableGauge("recoflow.kafka.consumer.lag", Observe, "{record}", "Records between a Kafka source subtask's position and the partition's high watermark");

    private static IEnumerable<Measurement<long>> Observe()
    {
        foreach (var ((topic, partition, group, subtask), lag) in Lags)
            yield return new Measurement<long>(lag, new TagList
            {
                { "topic", topic }, { "partition", partition }, { "group", group }, { "subtask", subtask },
            });
    }

    /// <summary>Sets a partition's lag (a reader's own partitions only).</summary>
    public static void Publish(string topic, int partition, string group, int subtask, long lag) => Lags[(topic, partition, group, subtask)] = Math.Max(0, lag);

    /// <summary>Removes a partition (its split finished, or the reader closed).</summary>
    public static void Remove(string topic, int partition, string group, int subtask) => Lags.TryRemove((topic, partition, group, subtask), out _);

    /// <summary>The lags published now (tests, the dashboard).</summary>
    public static IReadOnlyDictionary<(string Topic, int Partition, string Group, int Subtask), long> Current => new Dictionary<(string, int, string, int), long>(Lags);
}
