using Confluent.Kafka;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>Factories for <see cref="KafkaSource{T}"/> with the common deserializers (Flink: KafkaSource.builder() with a value-only deserializer).</summary>
public static class KafkaSource
{
    /// <summary>Position of a split that has not been read yet: the start mode decides where it begins.</summary>
    public const long UnsetPosition = -1;

    public static KafkaSource<T> Json<T>(KafkaSourceOptions options) => new(options, KafkaDeserializers.Json<T>());
    public static KafkaSource<T> MessagePack<T>(KafkaSourceOptions options) => new(options, KafkaDeserializers.MessagePack<T>());
    public static KafkaSource<string> Strings(KafkaSourceOptions options) => new(options, KafkaDeserializers.Utf8String());
    public static KafkaSource<byte[]> Bytes(KafkaSourceOptions options) => new(options, KafkaDeserializers.Bytes());

    /// <summary>Split id of a partition: "topic-partition" (see <see cref="KafkaPartitionSplitSerializer"/>).</summary>
    public static string SplitId(string topic, int partition) => KafkaPartitionSplitSerializer.SplitId(topic, partition);
}

/// <summary>
/// Reads Kafka topics (Flink: KafkaSource). One split per partition (<see cref="KafkaPartitionSplit"/>, stored in
/// checkpoints through <see cref="KafkaPartitionSplitSerializer"/>); the runtime spreads splits over the source
/// subtasks, and each reader assigns (not subscribes) its partitions, so offsets live in checkpoints, not in the
/// group. Records carry the Kafka timestamp as source timestamp; watermarks are per partition (the runtime's
/// per-split generators). A record that fails to deserialise goes to the dead-letter topic and the job's dead
/// letters; the source goes on.
/// <para>
/// The parts, one file each as in flink-connector-kafka: <see cref="KafkaSourceOptions"/> (the builder's settings),
/// <see cref="KafkaSubscriber"/> (partition discovery), <see cref="KafkaOffsetsInitializer"/> (start and stop
/// offsets), <see cref="KafkaSourceReader{T}"/>, <see cref="KafkaDeadLetterProducer"/>,
/// <see cref="KafkaOffsetCommits"/> (offsets committed on checkpoint completion), and the split types.
/// </para>
/// </summary>
public sealed class KafkaSource<T> : ISource<T>
{
    private readonly KafkaSubscriber _subscriber;

    public KafkaSource(KafkaSourceOptions options, Func<ConsumeResult<byte[], byte[]>, T> deserializer)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Deserializer = deserializer ?? throw new ArgumentNullException(nameof(deserializer));
        if (string.IsNullOrWhiteSpace(options.BootstrapServers)) throw new ArgumentException("bootstrap servers are required", nameof(options));
        if ((options.Topics.Count == 0) == (options.TopicPattern is null))
            throw new ArgumentException("set either Topics or TopicPattern", nameof(options));
        if (options.StartFrom == KafkaStartMode.Timestamp && options.StartTimestampMs is null)
            throw new ArgumentException("StartFrom = Timestamp needs StartTimestampMs", nameof(options));
        if (options.CommittedFallback is not (KafkaStartMode.Earliest or KafkaStartMode.Latest))
            throw new ArgumentException("CommittedFallback must be Earliest or Latest", nameof(options));
        _subscriber = new KafkaSubscriber(options);
    }

    public KafkaSourceOptions Options { get; }
    public Func<ConsumeResult<byte[], byte[]>, T> Deserializer { get; }

    public Boundedness Boundedness => Options.StopAt == KafkaStopMode.Never ? Boundedness.Unbounded : Boundedness.Bounded;

    internal Action<string> Log => Options.Log ?? KafkaLog.Default;

    /// <summary>
    /// One split per partition of the topics, without a position (<see cref="KafkaSource.UnsetPosition"/>), sorted
    /// by topic and partition so every subtask computes the same list. Waits for brokers and topics as
    /// <see cref="KafkaSubscriber.DiscoverSplits"/> says.
    /// </summary>
    public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) =>
        _subscriber.DiscoverSplits(Log).ConvertAll(KafkaPartitionSplitSerializer.Serialize);

    public ISourceReader<T> CreateReader(SourceContext context) => new KafkaSourceReader<T>(this, context);

    public string Describe() =>
        $"Kafka {_subscriber.DescribeTopics()} at {Options.BootstrapServers} from {Options.StartFrom}{(Options.StopAt == KafkaStopMode.Latest ? " to latest (bounded)" : "")}";
}
