using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Finds the partitions a source reads (Flink: KafkaSubscriber — TopicListSubscriber / TopicPatternSubscriber — with
/// the partition discovery of KafkaSourceEnumerator). RecoFlow has no enumerator task: the runtime calls
/// <see cref="KafkaSource{T}.CreateSplits"/> on a fresh start and spreads the list (split i to subtask i mod
/// parallelism), so the list is sorted by topic and partition and every caller gets the same one. Discovery runs
/// once (Flink's periodic discovery of new partitions is not done).
/// </summary>
internal sealed class KafkaSubscriber
{
    private readonly KafkaSourceOptions _options;
    private readonly Regex? _pattern;

    /// <summary>Compiles <see cref="KafkaSourceOptions.TopicPattern"/> (anchored: it must match the whole name), so a bad pattern fails when the source is built.</summary>
    public KafkaSubscriber(KafkaSourceOptions options)
    {
        _options = options;
        if (options.TopicPattern is { } p) _pattern = new Regex($"^(?:{p})$", RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// One split per partition, not yet positioned. Lists partitions through the brokers' metadata, retrying with
    /// exponential backoff while no broker answers or a topic does not exist yet (up to
    /// <see cref="KafkaSourceOptions.MetadataMaxWait"/>).
    /// </summary>
    public List<KafkaPartitionSplit> DiscoverSplits(Action<string> log)
    {
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(_options.BootstrapServers))
            .SetLogHandler((_, _) => { }) // connection errors are reported by the retry log
            .Build();
        var what = $"partitions of {DescribeTopics()} from {_options.BootstrapServers}";
        var partitions = KafkaRetry.Run(() => ListPartitions(admin), what, _options.MetadataMaxWait, log);
        return partitions.ConvertAll(p => new KafkaPartitionSplit(p.Topic, p.Partition));
    }

    public string DescribeTopics() => _options.TopicPattern is { } p ? $"topics /{p}/" : $"topic(s) {string.Join(", ", _options.Topics)}";

    private List<(string Topic, int Partition)> ListPartitions(IAdminClient admin)
    {
        var result = new List<(string, int)>();
        if (_pattern is not null)
        {
            var metadata = admin.GetMetadata(_options.RequestTimeout);
            if (metadata.Brokers.Count == 0) throw new KafkaRetryableStateException("no brokers in metadata");
            foreach (var t in metadata.Topics)
                if (t.Error.Code == ErrorCode.NoError && _pattern.IsMatch(t.Topic))
                    foreach (var p in t.Partitions) result.Add((t.Topic, p.PartitionId));
            if (result.Count == 0) throw new KafkaRetryableStateException($"no topic matches /{_options.TopicPattern}/");
        }
        else
        {
            foreach (var topic in _options.Topics)
            {
                var metadata = admin.GetMetadata(topic, _options.RequestTimeout);
                var t = metadata.Topics.Find(x => x.Topic == topic);
                if (t is null || t.Error.Code != ErrorCode.NoError || t.Partitions.Count == 0)
                    throw new KafkaRetryableStateException($"topic {topic}: {(t is null ? "not in metadata" : t.Error.Code == ErrorCode.NoError ? "no partitions" : t.Error.Reason)}");
                foreach (var p in t.Partitions) result.Add((topic, p.PartitionId));
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1) is var c and not 0 ? c : a.Item2.CompareTo(b.Item2));
        return result;
    }
}
