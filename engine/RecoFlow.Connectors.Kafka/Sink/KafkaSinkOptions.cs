namespace RecoFlow.Connectors.Kafka;

/// <summary>What a <see cref="KafkaSink{T}"/> promises about its records across failures (Flink: DeliveryGuarantee).</summary>
public enum KafkaDeliveryGuarantee
{
    /// <summary>Fire and forget: delivery errors are logged, never waited for (except a final flush at end of input).</summary>
    None,
    /// <summary>Every record is acknowledged by the brokers before a checkpoint (or end of input) completes; duplicates after a restart.</summary>
    AtLeastOnce,
    /// <summary>Records are written in a Kafka transaction per checkpoint, committed when the checkpoint completes.</summary>
    ExactlyOnce,
}

/// <summary>
/// Options of a <see cref="KafkaSink{T}"/> (Flink: what KafkaSinkBuilder collects — setBootstrapServers,
/// setDeliveryGuarantee, setTransactionalIdPrefix, setKafkaProducerConfig — as one record with init properties).
/// </summary>
public sealed record KafkaSinkOptions
{
    public required string BootstrapServers { get; init; }
    public required string Topic { get; init; }
    public KafkaDeliveryGuarantee Delivery { get; init; } = KafkaDeliveryGuarantee.AtLeastOnce;

    /// <summary>ExactlyOnce: transactional.id = "{prefix}-{subtask}-{slot}"; default "recoflow-{topic}-{operator id}". Must be unique per sink and stable across restarts.</summary>
    public string? TransactionalIdPrefix { get; init; }

    /// <summary>
    /// ExactlyOnce: transactional producers per sink subtask (slots 0 .. n-1 of the transactional ids). While one
    /// producer's transaction waits for its checkpoint to complete, new records go into a transaction on the next
    /// free one; only when every producer waits for a commit are records held in memory. 1 = one producer, records
    /// after a barrier are held until its checkpoint completes. Default 3.
    /// </summary>
    public int TransactionalProducerPoolSize { get; init; } = 3;

    /// <summary>
    /// ExactlyOnce: the topic of the commit markers (one small record per checkpoint epoch and subtask, written in the
    /// epoch's transaction, read back on recovery to learn whether the transaction committed); default
    /// "{transactional id prefix}.commits". Created with one partition per subtask when missing (if the brokers allow).
    /// Its retention bounds how old a restored checkpoint may be for its output not to be written twice.
    /// </summary>
    public string? CommitMarkerTopic { get; init; }

    /// <summary>Write the record's event timestamp as the Kafka message timestamp (otherwise the producer's clock).</summary>
    public bool WriteTimestamps { get; init; } = true;

    /// <summary>How long one blocking broker call (init/commit transactions, metadata) may take before it is retried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a flush, transaction init or commit may keep retrying before the writer gives up (and the job fails).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Extra librdkafka producer properties (override <see cref="KafkaClientDefaults.Producer"/>).</summary>
    public IReadOnlyDictionary<string, string>? ProducerProperties { get; init; }

    /// <summary>Operational log; default <see cref="KafkaLog.Default"/>.</summary>
    public Action<string>? Log { get; init; }
}
