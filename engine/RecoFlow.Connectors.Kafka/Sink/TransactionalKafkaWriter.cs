using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// ExactlyOnce (Flink: KafkaWriter with DeliveryGuarantee.EXACTLY_ONCE plus KafkaCommitter; RecoFlow's
/// <see cref="ITwoPhaseCommitSinkWriter{T}"/> commits in the writer). Turns values into <see cref="KafkaRecord"/>s
/// (serializer, key, partitioner) and hands them to the <see cref="KafkaTransactionCoordinator"/>, which holds the
/// two-phase commit over the subtask's pool of Confluent producers (transactional.id "{prefix}-{subtask}-{slot}").
/// </summary>
internal sealed class TransactionalKafkaWriter<T> : KafkaWriterBase<T>, ITwoPhaseCommitSinkWriter<T>
{
    private readonly KafkaTransactionCoordinator _coordinator;

    public TransactionalKafkaWriter(KafkaSink<T> sink, SinkContext context)
        : base(sink, context, configure: null, buildProducer: false)
    {
        var prefix = TransactionalIdFactory.PrefixOf(sink.Options, context);
        var markerTopic = sink.Options.CommitMarkerTopic ?? TransactionalIdFactory.MarkerTopicOf(prefix);
        var markers = new KafkaCommitMarkerReader(Options, Log, Name);
        _coordinator = new KafkaTransactionCoordinator(Options.Topic, prefix, context.SubtaskIndex, context.Parallelism, Options.TransactionalProducerPoolSize,
            id => NewProducer(context, id), markers, markerTopic, () => markers.Partitions(markerTopic, context.Parallelism), Log, Name);
    }

    private ConfluentTransactionalProducer NewProducer(SinkContext context, string transactionalId) =>
        new(BuildProducer(context, c => TransactionalIdFactory.Configure(c, transactionalId)), transactionalId, Options, Log, Name);

    /// <summary>The transactional ids of this writer's producers, slot 0 first.</summary>
    public IReadOnlyList<string> TransactionalIds => _coordinator.TransactionalIds;

    /// <summary>Producers whose transaction is prepared and waits for its checkpoint to complete.</summary>
    public int PreparedTransactions => _coordinator.PreparedTransactions;

    /// <summary>Records held in memory because every producer holds a prepared transaction.</summary>
    public int HeldRecords => _coordinator.HeldRecords;

    /// <summary>The transactional ids <see cref="Recover"/> ran InitTransactions on, in that order.</summary>
    public IReadOnlyList<string> FencedTransactionalIds => _coordinator.FencedTransactionalIds;

    /// <summary>What the last <see cref="Recover"/> did with the restored handles.</summary>
    public KafkaTransactionRecovery.Outcome? Recovered => _coordinator.Recovered;

    public void Write(T value, long timestamp)
    {
        var message = ToMessage(value, timestamp, out var key);
        _coordinator.Write(new KafkaRecord(PartitionOf(value, key), key, message.Value,
            message.Timestamp.Type == Confluent.Kafka.TimestampType.NotAvailable ? KafkaRecord.NoTimestamp : message.Timestamp.UnixTimestampMs));
    }

    public byte[] PrepareCommit(long checkpointId) => _coordinator.PrepareCommit(checkpointId).ToBytes();

    /// <summary>Commits the prepared transactions of epochs up to <paramref name="checkpointId"/> (see <see cref="KafkaTransactionCoordinator.Commit"/>).</summary>
    public void Commit(long checkpointId, IReadOnlyList<byte[]> handles) => _coordinator.Commit(checkpointId);

    /// <summary>Fences what the previous run left and commits the restored handles' output once (see <see cref="KafkaTransactionCoordinator.Recover"/>).</summary>
    public void Recover(IReadOnlyList<byte[]> committable) => _coordinator.Recover(committable);

    public void Flush(bool endOfInput) => _coordinator.Flush(endOfInput);

    public override void Dispose()
    {
        _coordinator.Dispose();
        base.Dispose();
    }
}
