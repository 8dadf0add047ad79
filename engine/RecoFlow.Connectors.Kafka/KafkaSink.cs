using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>What a <see cref="KafkaSink{T}"/> promises about its records across failures.</summary>
public enum KafkaDeliveryGuarantee
{
    /// <summary>Fire and forget: delivery errors are logged, never waited for (except a final flush at end of input).</summary>
    None,
    /// <summary>Every record is acknowledged by the brokers before a checkpoint (or end of input) completes; duplicates after a restart.</summary>
    AtLeastOnce,
    /// <summary>Records are written in a Kafka transaction per checkpoint, committed when the checkpoint completes.</summary>
    ExactlyOnce,
}

/// <summary>Options of a <see cref="KafkaSink{T}"/>.</summary>
public sealed record KafkaSinkOptions
{
    public required string BootstrapServers { get; init; }
    public required string Topic { get; init; }
    public KafkaDeliveryGuarantee Delivery { get; init; } = KafkaDeliveryGuarantee.AtLeastOnce;

    /// <summary>ExactlyOnce: transactional.id = "{prefix}-{subtask}"; default "recoflow-{topic}-{operator id}". Must be unique per sink and stable across restarts.</summary>
    public string? TransactionalIdPrefix { get; init; }

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

/// <summary>
/// Writes records to a Kafka topic (Flink: KafkaSink). Value serializer (JSON by default), optional key selector
/// (UTF-8 key) and partitioner (record, key, partition count → partition; default: librdkafka's hash of the key).
/// With <see cref="KafkaDeliveryGuarantee.ExactlyOnce"/> the writer is an <see cref="ITwoPhaseCommitSinkWriter{T}"/>.
/// </summary>
public sealed class KafkaSink<T> : ISink<T>
{
    public KafkaSink(KafkaSinkOptions options, Func<T, byte[]>? serializer = null, Func<T, string?>? keySelector = null, Func<T, byte[]?, int, int>? partitioner = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (string.IsNullOrWhiteSpace(options.BootstrapServers)) throw new ArgumentException("bootstrap servers are required", nameof(options));
        if (string.IsNullOrWhiteSpace(options.Topic)) throw new ArgumentException("a topic is required", nameof(options));
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

/// <summary>Shared producing path of the Kafka writers.</summary>
internal abstract class KafkaWriterBase<T> : IDisposable
{
    protected readonly KafkaSink<T> Sink;
    protected readonly KafkaSinkOptions Options;
    protected readonly Action<string> Log;
    protected readonly ThrottledLog Throttled;
    protected readonly string Name;
    protected IProducer<byte[], byte[]> Producer;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private readonly int _partitions;
    private Error? _asyncError;
    private long _failed;

    protected KafkaWriterBase(KafkaSink<T> sink, SinkContext context, Action<ProducerConfig>? configure)
    {
        Sink = sink;
        Options = sink.Options;
        Log = Options.Log ?? KafkaLog.Default;
        Throttled = new ThrottledLog(Log, TimeSpan.FromSeconds(10));
        Name = $"Kafka sink {Options.Topic} subtask {context.SubtaskIndex}/{context.Parallelism}";
        _onDelivery = OnDelivery;
        Producer = BuildProducer(context, configure);
        if (sink.Partitioner is not null) _partitions = PartitionCount();
    }

    protected IProducer<byte[], byte[]> BuildProducer(SinkContext context, Action<ProducerConfig>? configure)
    {
        var config = KafkaClientDefaults.Producer(Options.BootstrapServers);
        config.ClientId = $"recoflow-sink-{context.SubtaskIndex}";
        if (Options.Delivery == KafkaDeliveryGuarantee.None) config.Acks = Acks.Leader;
        // librdkafka keeps retrying a message while the brokers are away (a restart, a re-created dev broker) for as
        // long as the writer is willing to wait, instead of failing it after 30 s. (Transactional producers need
        // message.timeout.ms <= transaction.timeout.ms, so they keep the default.)
        if (Options.Delivery != KafkaDeliveryGuarantee.ExactlyOnce)
            config.MessageTimeoutMs = (int)Math.Min(int.MaxValue, Options.MaxWait.TotalMilliseconds);
        configure?.Invoke(config);
        if (Options.ProducerProperties is { } extra)
            foreach (var (k, v) in extra) config.Set(k, v);
        return new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal) Log($"{Name}: fatal producer error: {e.Code}: {e.Reason}");
                else Throttled.Write($"{Name}: producer error (librdkafka retries): {e.Code}: {e.Reason}", e.Code.ToString());
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Level <= SyslogLevel.Warning) Throttled.Write($"{Name}: librdkafka {m.Level}: {m.Facility}: {m.Message}", m.Facility);
            })
            .Build();
    }

    private int PartitionCount()
    {
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(Options.BootstrapServers)).SetLogHandler((_, _) => { }).Build();
        return KafkaRetry.Run(() =>
        {
            var t = admin.GetMetadata(Options.Topic, Options.RequestTimeout).Topics.Find(x => x.Topic == Options.Topic);
            if (t is null || t.Error.Code != ErrorCode.NoError || t.Partitions.Count == 0)
                throw new KafkaRetryableStateException($"topic {Options.Topic} has no partitions in metadata");
            return t.Partitions.Count;
        }, $"partition count of {Options.Topic}", Options.MaxWait, Log);
    }

    /// <summary>Records whose delivery failed (None: logged only).</summary>
    public long FailedDeliveries => Interlocked.Read(ref _failed);

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (!report.Error.IsError) return;
        Interlocked.Increment(ref _failed);
        Interlocked.CompareExchange(ref _asyncError, report.Error, null);
        Throttled.Write($"{Name}: delivery failed: {report.Error.Code}: {report.Error.Reason}", report.Error.Code.ToString());
    }

    protected Message<byte[], byte[]> ToMessage(T value, long timestamp, out byte[]? key)
    {
        key = Sink.KeySelector?.Invoke(value) is { } k ? Encoding.UTF8.GetBytes(k) : null;
        return new Message<byte[], byte[]>
        {
            Key = key!,
            Value = Sink.Serializer(value),
            Timestamp = Options.WriteTimestamps && timestamp != Api.Time.Watermark.NoTimestamp ? new Timestamp(timestamp, TimestampType.CreateTime) : Timestamp.Default,
        };
    }

    /// <summary>Produces one message, waiting while librdkafka's local queue is full (backpressure).</summary>
    protected void Send(Message<byte[], byte[]> message, byte[]? key, T value, bool reportDelivery)
    {
        while (true)
        {
            try
            {
                if (Sink.Partitioner is { } partitioner)
                {
                    var tp = new TopicPartition(Options.Topic, new Partition(partitioner(value, key, _partitions)));
                    if (reportDelivery) Producer.Produce(tp, message, _onDelivery);
                    else Producer.Produce(tp, message);
                }
                else if (reportDelivery) Producer.Produce(Options.Topic, message, _onDelivery);
                else Producer.Produce(Options.Topic, message);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                Producer.Flush(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>Throws if a delivery failed since the last check (AtLeastOnce/ExactlyOnce: the job restarts from its last checkpoint).</summary>
    protected void ThrowIfDeliveryFailed()
    {
        if (Interlocked.Exchange(ref _asyncError, null) is { } error)
            throw new KafkaException(error);
    }

    /// <summary>Waits until every produced message is acknowledged (or failed), logging while it waits.</summary>
    protected void FlushAll()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var remaining = Producer.Flush(Options.RequestTimeout);
            if (remaining == 0) return;
            if (clock.Elapsed > Options.MaxWait)
                throw new TimeoutException($"{Name}: {remaining} message(s) still unacknowledged after {clock.Elapsed.TotalSeconds:F0} s");
            Log($"{Name}: waiting for the brokers to acknowledge {remaining} message(s) ({clock.Elapsed.TotalSeconds:F0} s)");
        }
    }

    public virtual void Dispose() => Producer.Dispose();
}

/// <summary>Delivery None or AtLeastOnce.</summary>
internal sealed class KafkaWriter<T>(KafkaSink<T> sink, SinkContext context) : KafkaWriterBase<T>(sink, context, null), ISinkWriter<T>
{
    private readonly bool _atLeastOnce = sink.Options.Delivery == KafkaDeliveryGuarantee.AtLeastOnce;

    public void Write(T value, long timestamp)
    {
        if (_atLeastOnce) ThrowIfDeliveryFailed();
        var message = ToMessage(value, timestamp, out var key);
        Send(message, key, value, reportDelivery: true);
    }

    public void Flush(bool endOfInput)
    {
        if (_atLeastOnce)
        {
            FlushAll();
            ThrowIfDeliveryFailed();
        }
        else if (endOfInput)
        {
            var remaining = Producer.Flush(Options.RequestTimeout);
            if (remaining > 0) Log($"{Name}: {remaining} message(s) unacknowledged at end of input (delivery None)");
        }
    }

    public override void Dispose()
    {
        // None: give queued messages a moment to leave; AtLeastOnce has flushed at every checkpoint already.
        try
        {
            Producer.Flush(TimeSpan.FromSeconds(5));
        }
        catch (KafkaException e)
        {
            Log($"{Name}: flush on close failed: {e.Message}");
        }
        base.Dispose();
    }
}

/// <summary>The handle of a pre-committed Kafka transaction, stored in the checkpoint.</summary>
public sealed record KafkaTransactionHandle(string TransactionalId, long Epoch)
{
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, KafkaJson.Options);

    public static KafkaTransactionHandle FromBytes(byte[] bytes) =>
        JsonSerializer.Deserialize<KafkaTransactionHandle>(bytes, KafkaJson.Options) ?? throw new FormatException("empty Kafka transaction handle");
}

/// <summary>
/// ExactlyOnce: one transactional producer per sink subtask (transactional.id "{prefix}-{subtask}"). A transaction
/// spans a checkpoint epoch: <see cref="PrepareCommit"/> flushes it and returns its handle; <see cref="Commit"/>
/// commits it. Kafka allows one open transaction per transactional.id, so records written between a barrier and the
/// completion of its checkpoint are held in memory and produced into the next transaction once the previous one is
/// committed. If a checkpoint never completes, the next barrier folds its records into the same transaction.
/// </summary>
internal sealed class TransactionalKafkaWriter<T> : KafkaWriterBase<T>, ITwoPhaseCommitSinkWriter<T>
{
    private readonly string _transactionalId;
    private readonly List<(Message<byte[], byte[]> Message, byte[]? Key, T Value)> _held = [];
    private bool _initialized;
    private bool _inTransaction;
    private long _preparedEpoch = -1;

    public TransactionalKafkaWriter(KafkaSink<T> sink, SinkContext context)
        : base(sink, context, c =>
        {
            c.TransactionalId = $"{sink.Options.TransactionalIdPrefix ?? $"recoflow-{sink.Options.Topic}-{context.OperatorId}"}-{context.SubtaskIndex}";
            c.EnableIdempotence = true;
        })
    {
        _transactionalId = $"{sink.Options.TransactionalIdPrefix ?? $"recoflow-{sink.Options.Topic}-{context.OperatorId}"}-{context.SubtaskIndex}";
    }

    public string TransactionalId => _transactionalId;

    private bool Prepared => _preparedEpoch >= 0;

    /// <summary>InitTransactions: fences older producers with this id and aborts their open transaction.</summary>
    private void EnsureInitialized()
    {
        if (_initialized) return;
        KafkaRetry.Run(() => { Producer.InitTransactions(Options.RequestTimeout); return 0; },
            $"init transactions of {_transactionalId}", Options.MaxWait, Log);
        _initialized = true;
    }

    private void EnsureTransaction()
    {
        EnsureInitialized();
        if (_inTransaction) return;
        Producer.BeginTransaction();
        _inTransaction = true;
    }

    public void Write(T value, long timestamp)
    {
        ThrowIfDeliveryFailed();
        var message = ToMessage(value, timestamp, out var key);
        if (Prepared)
        {
            _held.Add((message, key, value));
            return;
        }
        EnsureTransaction();
        Send(message, key, value, reportDelivery: true);
    }

    public byte[] PrepareCommit(long checkpointId)
    {
        if (_held.Count > 0)
        {
            // The previous checkpoint did not complete: its transaction is still open; this epoch joins it.
            EnsureTransaction();
            foreach (var (m, k, v) in _held) Send(m, k, v, reportDelivery: true);
            _held.Clear();
        }
        EnsureTransaction(); // an empty epoch still gets a (trivial) transaction, so every handle can be committed
        FlushAll();
        ThrowIfDeliveryFailed();
        _preparedEpoch = checkpointId;
        return new KafkaTransactionHandle(_transactionalId, checkpointId).ToBytes();
    }

    public void Commit(long checkpointId, IReadOnlyList<byte[]> handles)
    {
        if (!Prepared || _preparedEpoch > checkpointId) return; // already committed, or folded into a later epoch
        KafkaRetry.Run(() => { Producer.CommitTransaction(Options.RequestTimeout); return 0; },
            $"commit transaction {_transactionalId} epoch {_preparedEpoch}", Options.MaxWait, Log);
        _inTransaction = false;
        _preparedEpoch = -1;
        if (_held.Count == 0) return;
        EnsureTransaction();
        foreach (var (m, k, v) in _held) Send(m, k, v, reportDelivery: true);
        _held.Clear();
    }

    /// <summary>
    /// After a restart: InitTransactions fences the previous producer of this transactional.id and aborts its open
    /// transaction. librdkafka cannot resume a transaction begun by another producer instance, so a transaction that
    /// was pre-committed but not yet committed when the old writer died is aborted, not committed; this is logged.
    /// </summary>
    public void Recover(IReadOnlyList<byte[]> committable)
    {
        EnsureInitialized();
        foreach (var bytes in committable)
        {
            var handle = KafkaTransactionHandle.FromBytes(bytes);
            if (handle.TransactionalId == _transactionalId)
                Log($"{Name}: transaction {handle.TransactionalId} epoch {handle.Epoch} cannot be resumed by a new producer; if it was not committed before the failure it has been aborted");
        }
    }

    public void Flush(bool endOfInput)
    {
        if (!endOfInput)
        {
            FlushAll();
            ThrowIfDeliveryFailed();
            return;
        }
        // End of input: there is no final checkpoint yet, so commit what is left (prepared and held records included).
        if (_inTransaction || _held.Count > 0)
        {
            var epoch = Prepared ? _preparedEpoch : long.MaxValue;
            PrepareCommit(epoch);
            Commit(epoch, []);
        }
    }

    public override void Dispose()
    {
        if (_inTransaction)
        {
            try
            {
                Producer.AbortTransaction(Options.RequestTimeout);
            }
            catch (KafkaException e)
            {
                Log($"{Name}: abort on close failed: {e.Message}");
            }
        }
        base.Dispose();
    }
}
