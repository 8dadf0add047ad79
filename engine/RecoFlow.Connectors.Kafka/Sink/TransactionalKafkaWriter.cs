using Confluent.Kafka;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// ExactlyOnce (Flink: KafkaWriter with DeliveryGuarantee.EXACTLY_ONCE plus KafkaCommitter; RecoFlow's
/// <see cref="ITwoPhaseCommitSinkWriter{T}"/> commits in the writer, so both live here). Writes into the
/// <see cref="TransactionalProducerPool"/> of the subtask (transactional.id "{prefix}-{subtask}-{slot}"). A
/// transaction spans a checkpoint epoch on one producer: <see cref="PrepareCommit"/> flushes it, returns its handle
/// and moves writing to the next free producer, so records after a barrier are produced at once;
/// <see cref="Commit"/> commits the prepared transactions of checkpoints up to its id, oldest first, and returns their
/// producers to the pool. Only when every producer holds a prepared transaction are records held in memory: the next
/// commit frees a producer and they are produced into a new transaction; if instead the next barrier comes first (a
/// checkpoint did not complete), they are folded into the newest prepared transaction, which then belongs to that
/// barrier's epoch (its older handle no longer commits it, so no handle commits records from after its barrier).
/// </summary>
internal sealed class TransactionalKafkaWriter<T> : KafkaWriterBase<T>, ITwoPhaseCommitSinkWriter<T>
{
    private readonly SinkContext _context;
    private readonly string _prefix;
    private readonly TransactionalProducerPool _pool;
    private readonly List<(Message<byte[], byte[]> Message, byte[]? Key, T Value)> _held = [];
    private readonly List<string> _fenced = [];

    public TransactionalKafkaWriter(KafkaSink<T> sink, SinkContext context)
        : base(sink, context, c => TransactionalIdFactory.Configure(c, TransactionalIdFactory.Of(TransactionalIdFactory.PrefixOf(sink.Options, context), context.SubtaskIndex, 0), context.SubtaskIndex, 0))
    {
        _context = context;
        _prefix = TransactionalIdFactory.PrefixOf(sink.Options, context);
        _pool = new TransactionalProducerPool(_prefix, context.SubtaskIndex, Producer,
            (id, slot) => BuildProducer(context, c => TransactionalIdFactory.Configure(c, id, context.SubtaskIndex, slot)),
            Options, Log, Name);
    }

    /// <summary>The transactional ids of this writer's producers, slot 0 first.</summary>
    public IReadOnlyList<string> TransactionalIds => _pool.Slots.Select(s => s.TransactionalId).ToList();

    /// <summary>Producers whose transaction is prepared and waits for its checkpoint to complete.</summary>
    public int PreparedTransactions => _pool.PreparedCount;

    /// <summary>Records held in memory because every producer holds a prepared transaction.</summary>
    public int HeldRecords => _held.Count;

    /// <summary>The transactional ids <see cref="Recover"/> ran InitTransactions on, in that order.</summary>
    public IReadOnlyList<string> FencedTransactionalIds => _fenced;

    public void Write(T value, long timestamp)
    {
        ThrowIfDeliveryFailed();
        var message = ToMessage(value, timestamp, out var key);
        if (_pool.Current is not { } slot)
        {
            _held.Add((message, key, value));
            return;
        }
        _pool.EnsureTransaction(slot);
        Send(slot.Producer, message, key, value, reportDelivery: true);
    }

    private void SendHeld(TransactionalProducerPool.Slot slot)
    {
        _pool.EnsureTransaction(slot);
        foreach (var (m, k, v) in _held) Send(slot.Producer, m, k, v, reportDelivery: true);
        _held.Clear();
    }

    public byte[] PrepareCommit(long checkpointId)
    {
        var slot = _pool.TakeForPrepare(out var folded);
        // Folded: every producer holds a prepared transaction and none of their checkpoints completed since: this
        // epoch (the held records) joins the newest one, which is still open; that transaction now belongs to this epoch.
        if (folded) SendHeld(slot);
        FlushAll(slot.Producer);
        ThrowIfDeliveryFailed();
        _pool.MarkPrepared(slot, checkpointId);
        return new KafkaTransactionHandle(slot.TransactionalId, checkpointId, _context.SubtaskIndex, _pool.Slots.Count).ToBytes();
    }

    /// <summary>
    /// Commits the prepared transactions of epochs up to <paramref name="checkpointId"/>, oldest first (a checkpoint
    /// that never completed is committed with the next one that does). A second call, or a call for an epoch that was
    /// folded into a later one, commits nothing. May come after later barriers' <see cref="PrepareCommit"/>.
    /// </summary>
    public void Commit(long checkpointId, IReadOnlyList<byte[]> handles)
    {
        while (_pool.TryCommitOldest(checkpointId, out var slot))
            if (_pool.Release(slot) && _held.Count > 0) SendHeld(slot);
    }

    /// <summary>
    /// After a restart: InitTransactions on every transactional id this subtask may have left a transaction open on
    /// fences the previous producers and aborts their transactions: this pool's ids first, then those
    /// <see cref="KafkaTransactionFencing.Plan"/> finds in the restored handles. librdkafka cannot resume a
    /// transaction begun by another producer instance (Flink resumes it by setting producer id and epoch through
    /// reflection), so a transaction that was pre-committed but not yet committed when the old writer died is
    /// aborted, not committed; this is logged.
    /// </summary>
    public void Recover(IReadOnlyList<byte[]> committable)
    {
        foreach (var slot in _pool.Slots)
        {
            _pool.EnsureInitialized(slot);
            _fenced.Add(slot.TransactionalId);
        }
        var own = _pool.Slots.Select(s => s.TransactionalId).ToHashSet(StringComparer.Ordinal);
        var (mine, others) = KafkaTransactionFencing.Plan(_prefix, _context.SubtaskIndex, _context.Parallelism, own, committable);
        foreach (var handle in mine)
            Log($"{Name}: transaction {handle.TransactionalId} epoch {handle.Epoch} cannot be resumed by a new producer; if it was not committed before the failure it has been aborted");
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
        using var producer = BuildProducer(_context, c => TransactionalIdFactory.Configure(c, transactionalId));
        KafkaRetry.Run(() => { producer.InitTransactions(Options.RequestTimeout); return 0; },
            $"fence transactional id {transactionalId}", Options.MaxWait, Log);
    }

    public void Flush(bool endOfInput)
    {
        if (!endOfInput)
        {
            if (_pool.Current is { InTransaction: true } current) FlushAll(current.Producer);
            ThrowIfDeliveryFailed();
            return;
        }
        // End of input: there is no final checkpoint yet, so commit what is left (prepared and held records included).
        if (_pool.Current is { InTransaction: true } || _held.Count > 0) PrepareCommit(long.MaxValue);
        Commit(long.MaxValue, []);
    }

    public override void Dispose()
    {
        _pool.Dispose();
        base.Dispose();
    }
}
