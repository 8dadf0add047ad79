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

    /// <summary>ExactlyOnce: transactional.id = "{prefix}-{subtask}-{slot}"; default "recoflow-{topic}-{operator id}". Must be unique per sink and stable across restarts.</summary>
    public string? TransactionalIdPrefix { get; init; }

    /// <summary>
    /// ExactlyOnce: transactional producers per sink subtask (slots 0 .. n-1 of the transactional ids). While one
    /// producer's transaction waits for its checkpoint to complete, new records go into a transaction on the next
    /// free one; only when every producer waits for a commit are records held in memory. 1 = one producer, records
    /// after a barrier are held until its checkpoint completes. Default 3.
    /// </summary>
    public int TransactionalProducerPoolSize { get; init; } = 3;

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

/// <summary>Shared producing path of the Kafka writers.</summary>
internal abstract class KafkaWriterBase<T> : IDisposable
{
    protected readonly KafkaSink<T> Sink;
    protected readonly KafkaSinkOptions Options;
    protected readonly Action<string> Log;
    protected readonly ThrottledLog Throttled;
    protected readonly string Name;
    protected readonly IProducer<byte[], byte[]> Producer;
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
    protected void Send(Message<byte[], byte[]> message, byte[]? key, T value, bool reportDelivery) => Send(Producer, message, key, value, reportDelivery);

    /// <summary>Produces one message with <paramref name="producer"/>, waiting while its local queue is full (backpressure).</summary>
    protected void Send(IProducer<byte[], byte[]> producer, Message<byte[], byte[]> message, byte[]? key, T value, bool reportDelivery)
    {
        while (true)
        {
            try
            {
                if (Sink.Partitioner is { } partitioner)
                {
                    var tp = new TopicPartition(Options.Topic, new Partition(partitioner(value, key, _partitions)));
                    if (reportDelivery) producer.Produce(tp, message, _onDelivery);
                    else producer.Produce(tp, message);
                }
                else if (reportDelivery) producer.Produce(Options.Topic, message, _onDelivery);
                else producer.Produce(Options.Topic, message);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Flush(TimeSpan.FromMilliseconds(100));
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
    protected void FlushAll() => FlushAll(Producer);

    /// <summary>Waits until every message produced with <paramref name="producer"/> is acknowledged (or failed), logging while it waits.</summary>
    protected void FlushAll(IProducer<byte[], byte[]> producer)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var logged = TimeSpan.Zero;
        while (true)
        {
            // Short slices: librdkafka's flush polls in 10 ms steps and Confluent.Kafka's own poll thread serves the
            // delivery reports, so one long flush returns up to 10 ms after the last acknowledgement (measured at
            // barriers: 0.3 ms or 10.3 ms). The flush blocks the task, so those milliseconds were latency.
            var remaining = producer.Flush(FlushSlice);
            if (remaining == 0) return;
            if (clock.Elapsed > Options.MaxWait)
                throw new TimeoutException($"{Name}: {remaining} message(s) still unacknowledged after {clock.Elapsed.TotalSeconds:F0} s");
            if (clock.Elapsed - logged < Options.RequestTimeout) continue;
            logged = clock.Elapsed;
            Log($"{Name}: waiting for the brokers to acknowledge {remaining} message(s) ({clock.Elapsed.TotalSeconds:F0} s)");
        }
    }

    private static readonly TimeSpan FlushSlice = TimeSpan.FromMilliseconds(1);

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


/// <summary>
/// The handle of a pre-committed Kafka transaction, stored in the checkpoint. <paramref name="Subtask"/> and
/// <paramref name="PoolSize"/> say which transactional ids the writing subtask used (slots 0 .. PoolSize-1), so a
/// restored writer can fence them all; handles of the single-producer writer have neither (-1, 0).
/// </summary>
public sealed record KafkaTransactionHandle(string TransactionalId, long Epoch, int Subtask = -1, int PoolSize = 0)
{
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, KafkaJson.Options);

    public static KafkaTransactionHandle FromBytes(byte[] bytes) =>
        JsonSerializer.Deserialize<KafkaTransactionHandle>(bytes, KafkaJson.Options) ?? throw new FormatException("empty Kafka transaction handle");
}

/// <summary>
/// ExactlyOnce (Flink: FlinkKafkaProducer's transactional producer pool): a pool of
/// <see cref="KafkaSinkOptions.TransactionalProducerPoolSize"/> transactional producers per sink subtask
/// (transactional.id "{prefix}-{subtask}-{slot}"). A transaction spans a checkpoint epoch on one producer:
/// <see cref="PrepareCommit"/> flushes it, returns its handle and moves writing to the next free producer, so records
/// after a barrier are produced at once; <see cref="Commit"/> commits the prepared transactions of checkpoints up to
/// its id, oldest first, and returns their producers to the pool. Kafka allows one open transaction per
/// transactional.id, so only when every producer holds a prepared transaction are records held in memory: the next
/// commit frees a producer and they are produced into a new transaction; if instead the next barrier comes first
/// (a checkpoint did not complete), they are folded into the newest prepared transaction, which then belongs to that
/// barrier's epoch (its older handle no longer commits it, so no handle commits records from after its barrier).
/// </summary>
internal sealed class TransactionalKafkaWriter<T> : KafkaWriterBase<T>, ITwoPhaseCommitSinkWriter<T>
{
    private sealed class Slot(int index, string transactionalId, IProducer<byte[], byte[]> producer)
    {
        public readonly int Index = index;
        public readonly string TransactionalId = transactionalId;
        public readonly IProducer<byte[], byte[]> Producer = producer;
        public bool Initialized;
        public bool InTransaction;
        /// <summary>The epoch of the prepared transaction; -1 while the slot is free or being written.</summary>
        public long Epoch = -1;
    }

    private readonly SinkContext _context;
    private readonly string _prefix;
    private readonly Slot[] _slots;
    private readonly Queue<Slot> _free = new();
    /// <summary>Prepared transactions waiting for their checkpoint, in epoch order.</summary>
    private readonly List<Slot> _prepared = [];
    private readonly List<(Message<byte[], byte[]> Message, byte[]? Key, T Value)> _held = [];
    /// <summary>The producer the records of the current epoch go to; null while every producer holds a prepared transaction.</summary>
    private Slot? _current;
    private readonly List<string> _fenced = [];

    public TransactionalKafkaWriter(KafkaSink<T> sink, SinkContext context)
        : base(sink, context, c => Transactional(c, TransactionalIdOf(PrefixOf(sink.Options, context), context.SubtaskIndex, 0), context.SubtaskIndex, 0))
    {
        _context = context;
        _prefix = PrefixOf(sink.Options, context);
        _slots = new Slot[sink.Options.TransactionalProducerPoolSize];
        _slots[0] = new Slot(0, TransactionalIdOf(_prefix, context.SubtaskIndex, 0), Producer);
        for (var i = 1; i < _slots.Length; i++)
        {
            var id = TransactionalIdOf(_prefix, context.SubtaskIndex, i);
            var slot = i;
            _slots[i] = new Slot(i, id, BuildProducer(context, c => Transactional(c, id, context.SubtaskIndex, slot)));
        }
        _current = _slots[0];
        for (var i = 1; i < _slots.Length; i++) _free.Enqueue(_slots[i]);
    }

    private static string PrefixOf(KafkaSinkOptions options, SinkContext context) =>
        options.TransactionalIdPrefix ?? $"recoflow-{options.Topic}-{context.OperatorId}";

    private static string TransactionalIdOf(string prefix, int subtask, int slot) => $"{prefix}-{subtask}-{slot}";

    private static void Transactional(ProducerConfig config, string transactionalId, int subtask, int slot)
    {
        Transactional(config, transactionalId);
        config.ClientId = $"recoflow-sink-{subtask}-{slot}";
    }

    private static void Transactional(ProducerConfig config, string transactionalId)
    {
        config.TransactionalId = transactionalId;
        config.EnableIdempotence = true;
    }

    /// <summary>The transactional ids of this writer's producers, slot 0 first.</summary>
    public IReadOnlyList<string> TransactionalIds => _slots.Select(s => s.TransactionalId).ToList();

    /// <summary>Producers whose transaction is prepared and waits for its checkpoint to complete.</summary>
    public int PreparedTransactions => _prepared.Count;

    /// <summary>Records held in memory because every producer holds a prepared transaction.</summary>
    public int HeldRecords => _held.Count;

    /// <summary>The transactional ids <see cref="Recover"/> ran InitTransactions on, in that order.</summary>
    public IReadOnlyList<string> FencedTransactionalIds => _fenced;

    /// <summary>InitTransactions: fences older producers with this id and aborts their open transaction.</summary>
    private void EnsureInitialized(Slot slot)
    {
        if (slot.Initialized) return;
        KafkaRetry.Run(() => { slot.Producer.InitTransactions(Options.RequestTimeout); return 0; },
            $"init transactions of {slot.TransactionalId}", Options.MaxWait, Log);
        slot.Initialized = true;
    }

    private void EnsureTransaction(Slot slot)
    {
        EnsureInitialized(slot);
        if (slot.InTransaction) return;
        slot.Producer.BeginTransaction();
        slot.InTransaction = true;
    }

    public void Write(T value, long timestamp)
    {
        ThrowIfDeliveryFailed();
        var message = ToMessage(value, timestamp, out var key);
        if (_current is not { } slot)
        {
            _held.Add((message, key, value));
            return;
        }
        EnsureTransaction(slot);
        Send(slot.Producer, message, key, value, reportDelivery: true);
    }

    private void SendHeld(Slot slot)
    {
        EnsureTransaction(slot);
        foreach (var (m, k, v) in _held) Send(slot.Producer, m, k, v, reportDelivery: true);
        _held.Clear();
    }

    public byte[] PrepareCommit(long checkpointId)
    {
        Slot slot;
        if (_current is { } current)
        {
            slot = current;
            EnsureTransaction(slot); // an empty epoch still gets a (trivial) transaction, so every handle can be committed
            _current = _free.TryDequeue(out var next) ? next : null;
        }
        else
        {
            // Every producer holds a prepared transaction and none of their checkpoints completed since: this epoch
            // (the held records) joins the newest one, which is still open; that transaction now belongs to this epoch.
            slot = _prepared[^1];
            _prepared.RemoveAt(_prepared.Count - 1);
            SendHeld(slot);
        }
        FlushAll(slot.Producer);
        ThrowIfDeliveryFailed();
        slot.Epoch = checkpointId;
        _prepared.Add(slot);
        return new KafkaTransactionHandle(slot.TransactionalId, checkpointId, _context.SubtaskIndex, _slots.Length).ToBytes();
    }

    /// <summary>
    /// Commits the prepared transactions of epochs up to <paramref name="checkpointId"/>, oldest first (a checkpoint
    /// that never completed is committed with the next one that does). A second call, or a call for an epoch that was
    /// folded into a later one, commits nothing. May come after later barriers' <see cref="PrepareCommit"/>.
    /// </summary>
    public void Commit(long checkpointId, IReadOnlyList<byte[]> handles)
    {
        while (_prepared.Count > 0 && _prepared[0].Epoch <= checkpointId)
        {
            var slot = _prepared[0];
            KafkaRetry.Run(() => { slot.Producer.CommitTransaction(Options.RequestTimeout); return 0; },
                $"commit transaction {slot.TransactionalId} epoch {slot.Epoch}", Options.MaxWait, Log);
            _prepared.RemoveAt(0);
            slot.InTransaction = false;
            slot.Epoch = -1;
            if (_current is null)
            {
                _current = slot;
                if (_held.Count > 0) SendHeld(slot);
            }
            else _free.Enqueue(slot);
        }
    }

    /// <summary>
    /// After a restart: InitTransactions on every transactional id this subtask may have left a transaction open on
    /// fences the previous producers and aborts their transactions. Those are this pool's ids, plus the ids the
    /// restored handles name: the pool of the previous run of this subtask (its pool size is in the handles, so a
    /// smaller pool now still fences the higher slots), the single id of a writer from before the pool, and, after a
    /// scale-down, the ids of former subtasks ≥ the parallelism (subtask i takes those ≡ i modulo the parallelism).
    /// librdkafka cannot resume a transaction begun by another producer instance, so a transaction that was
    /// pre-committed but not yet committed when the old writer died is aborted, not committed; this is logged.
    /// </summary>
    public void Recover(IReadOnlyList<byte[]> committable)
    {
        foreach (var slot in _slots)
        {
            EnsureInitialized(slot);
            _fenced.Add(slot.TransactionalId);
        }
        var own = _slots.Select(s => s.TransactionalId).ToHashSet(StringComparer.Ordinal);
        var others = new SortedSet<string>(StringComparer.Ordinal);
        int subtask = _context.SubtaskIndex, parallelism = Math.Max(1, _context.Parallelism);
        foreach (var bytes in committable)
        {
            var handle = KafkaTransactionHandle.FromBytes(bytes);
            var mine = handle.Subtask < 0
                ? handle.TransactionalId == $"{_prefix}-{subtask}" // the single-producer writer's id
                : handle.Subtask == subtask || (handle.Subtask >= parallelism && handle.Subtask % parallelism == subtask);
            if (!mine) continue;
            if (handle.Subtask < 0) others.Add(handle.TransactionalId);
            else
            {
                for (var i = 0; i < handle.PoolSize; i++)
                {
                    var id = TransactionalIdOf(_prefix, handle.Subtask, i);
                    if (!own.Contains(id)) others.Add(id);
                }
            }
            Log($"{Name}: transaction {handle.TransactionalId} epoch {handle.Epoch} cannot be resumed by a new producer; if it was not committed before the failure it has been aborted");
        }
        foreach (var id in others)
        {
            Fence(id);
            _fenced.Add(id);
        }
        if (others.Count > 0) Log($"{Name}: fenced the transactional ids of a previous run: {string.Join(", ", others)}");
    }

    /// <summary>InitTransactions on <paramref name="transactionalId"/> with a throw-away producer.</summary>
    private void Fence(string transactionalId)
    {
        using var producer = BuildProducer(_context, c => Transactional(c, transactionalId));
        KafkaRetry.Run(() => { producer.InitTransactions(Options.RequestTimeout); return 0; },
            $"fence transactional id {transactionalId}", Options.MaxWait, Log);
    }

    public void Flush(bool endOfInput)
    {
        if (!endOfInput)
        {
            if (_current is { InTransaction: true } current) FlushAll(current.Producer);
            ThrowIfDeliveryFailed();
            return;
        }
        // End of input: there is no final checkpoint yet, so commit what is left (prepared and held records included).
        if (_current is { InTransaction: true } || _held.Count > 0) PrepareCommit(long.MaxValue);
        Commit(long.MaxValue, []);
    }

    public override void Dispose()
    {
        foreach (var slot in _slots)
        {
            if (slot.InTransaction)
            {
                try
                {
                    slot.Producer.AbortTransaction(Options.RequestTimeout);
                }
                catch (KafkaException e)
                {
                    Log($"{Name}: abort of {slot.TransactionalId} on close failed: {e.Message}");
                }
            }
            if (slot.Index > 0) slot.Producer.Dispose(); // slot 0's producer is the base class's
        }
        base.Dispose();
    }
}
