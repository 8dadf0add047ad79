using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Writes records to a Kafka topic (Flink: KafkaSink). Value serializer (JSON by default), optional key selector
/// (UTF-8 key) and partitioner (record, key, partition count → partition; default: librdkafka's hash of the key).
/// With <see cref="KafkaDeliveryGuarantee.ExactlyOnce"/> the writer is an <see cref="ITwoPhaseCommitSinkWriter{T}"/>.
/// <para>
/// The parts, one file each as in flink-connector-kafka: <see cref="KafkaSinkOptions"/>, the writers
/// (<see cref="KafkaWriterBase{T}"/>, <see cref="KafkaWriter{T}"/>, <see cref="TransactionalKafkaWriter{T}"/>), the
/// committable <see cref="KafkaTransactionHandle"/>, <see cref="TransactionalIdFactory"/>,
/// <see cref="TransactionalProducerPool"/> and <see cref="KafkaTransactionFencing"/>.
/// </para>
/// </summary>
public sealed class KafkaSink<T> : ISink<T>
{
    public KafkaSink(KafkaSinkOptions options, Func<T, byte[]>? serializer = null, Func<T, string?>? keySelector = null, Func<T, byte[]?, int, int>? partitioner = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (string.IsNullOrWhiteSpace(options.BootstrapServers)) throw new ArgumentException("bootstrap servers are required", nameof(options));
        if (string.IsNullOrWhiteSpace(options.Topic)) throw new ArgumentException("a topic is required", nameof(options));
        if (options.TransactionalProducerPoolSize < 1) throw new ArgumentException("the transactional producer pool needs at least one producer", nameof(options));
        Serializer = serializer ?? KafkaSerializers.Json<T>();
        KeySelector = keySelector;
        Partitioner = partitioner;
    }

    public KafkaSinkOptions Options { get; }
    public Func<T, byte[]> Serializer { get; }
    public Func<T, string?>? KeySelector { get; }
    public Func<T, byte[]?, int, int>? Partitioner { get; }

    public ISinkWriter<T> CreateWriter(SinkContext context) => Options.Delivery == KafkaDeliveryGuarantee.ExactlyOnce
        ? new TransactionalKafkaWriter<T>(this, context)
        : new KafkaWriter<T>(this, context);

    public string Describe() => $"Kafka topic {Options.Topic} at {Options.BootstrapServers} ({Options.Delivery})";
}
