namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The two-phase commit of the exactly-once sink, over <see cref="ITransactionalKafkaProducer"/>s (Flink: KafkaWriter's
/// transactional path plus KafkaCommitter). A plain class: <see cref="TransactionalKafkaWriter{T}"/> turns values into
/// <see cref="KafkaRecord"/>s and delegates here; tests drive it with a broker that fails on cue.
/// <para>
/// A transaction spans a checkpoint epoch on one producer of the <see cref="TransactionalProducerPool"/>:
/// <see cref="PrepareCommit"/> writes the epoch's commit marker into it, flushes it, returns its handle — with the
/// epoch's records and the marker's place, so the checkpoint keeps them — and moves writing to the next free
/// producer, so records after a barrier are produced at once; <see cref="Commit"/> commits the prepared transactions
/// of checkpoints up to its id, oldest first, and returns their producers to the pool. Only when every producer holds
/// a prepared transaction are records held in memory: the next commit frees a producer and they are produced into a
/// new transaction; if instead the next barrier comes first, they are folded into the newest prepared transaction,
/// which then belongs to that barrier's epoch (its older handle no longer commits it). <see cref="Recover"/> fences
/// what the previous run may have left open and commits the restored handles' output once
/// (<see cref="KafkaTransactionRecovery"/>).
/// </para>
/// </summary>
internal sealed class KafkaTransactionCoordinator : IDisposable
{
    private readonly string _topic;
    private readonly string _prefix;
    private readonly int _subtask;
    private readonly int _parallelism;
    private readonly TransactionalProducerFactory _producers;
    private readonly IKafkaCommitMarkerReader _markers;
    private readonly string _markerTopic;
    private readonly Lazy<int> _markerPartition;
    private readonly Action<string> _log;
    private readonly string _name;
    private readonly TransactionalProducerPool _pool;
    /// <summary>Every record written since the last barrier: the records of the epoch <see cref="PrepareCommit"/> hands on.</summary>
    private readonly List<KafkaRecord> _epoch = [];
    /// <summary>Records not produced yet because every producer holds a prepared transaction.</summary>
    private readonly List<KafkaRecord> _held = [];
    private readonly List<string> _fenced = [];

    /// <param name="markerPartitions">The partition count of <paramref name="markerTopic"/>; asked once, at <see cref="Recover"/> or the first marker.</param>
    public KafkaTransactionCoordinator(string topic, string prefix, int subtask, int parallelism, int poolSize, TransactionalProducerFactory producers,
        IKafkaCommitMarkerReader markers, string markerTopic, Func<int> markerPartitions, Action<string> log, string name)
    {
        _topic = topic;
        _prefix = prefix;
        _subtask = subtask;
        _parallelism = Math.Max(1, parallelism);
        _producers = producers;
        _markers = markers;
        _markerTopic = markerTopic;
        _markerPartition = new Lazy<int>(() => subtask % Math.Max(1, markerPartitions()));
        _log = log;
        _name = name;
        var pool = new List<ITransactionalKafkaProducer>();
        try
        {
            for (var i = 0; i < poolSize; i++) pool.Add(producers(TransactionalIdFactory.Of(prefix, subtask, i)));
        }
        catch
        {
            foreach (var p in pool) p.Dispose();
            throw;
        }
        _pool = new TransactionalProducerPool(pool, log, name);
    }

    public IReadOnlyList<string> TransactionalIds => _pool.Slots.Select(s => s.TransactionalId).ToList();

    public int PreparedTransactions => _pool.PreparedCount;

    public int HeldRecords => _held.Count;

    public IReadOnlyList<string> FencedTransactionalIds => _fenced;

    /// <summary>What the last <see cref="Recover"/> did with the restored handles.</summary>
    public KafkaTransactionRecovery.Outcome? Recovered { get; private set; }

    public void Write(KafkaRecord record)
    {
        _epoch.Add(record);
        if (_pool.Current is not { } slot)
        {
            _held.Add(record);
            return;
        }
        _pool.EnsureTransaction(slot);
        slot.Producer.Produce(_topic, record);
    }

    private void SendHeld(TransactionalProducerPool.Slot slot)
    {
        _pool.EnsureTransaction(slot);
        foreach (var r in _held) slot.Producer.Produce(_topic, r);
        _held.Clear();
    }

    public KafkaTransactionHandle PrepareCommit(long checkpointId)
    {
        var slot = _pool.TakeForPrepare(out var folded);
        // Folded: every producer holds a prepared transaction and none of their checkpoints completed since: this
        // epoch (the held records) joins the newest one, which is still open; that transaction now belongs to this epoch.
        if (folded) SendHeld(slot);
        KafkaCommitMarker? marker = null;
        if (_epoch.Count > 0)
        {
            var nonce = Guid.NewGuid().ToString("N");
            var partition = _markerPartition.Value;
            long offset = -1;
            slot.Producer.Produce(_markerTopic, KafkaCommitMarker.Record(_prefix, _subtask, checkpointId, _epoch.Count, nonce, partition), o => Interlocked.Exchange(ref offset, o));
            slot.Producer.Flush();
            var at = Interlocked.Read(ref offset);
            if (at < 0) throw new InvalidOperationException($"{_name}: the commit marker of checkpoint {checkpointId} was flushed without an offset");
            marker = new KafkaCommitMarker(_markerTopic, partition, at, nonce);
        }
        else slot.Producer.Flush();
        _pool.MarkPrepared(slot, checkpointId);
        var handle = new KafkaTransactionHandle(slot.TransactionalId, checkpointId, _subtask, _pool.Slots.Count)
        {
            RecordsKept = true,
            Marker = marker,
            Records = _epoch.ToArray(),
        };
        _epoch.Clear();
        return handle;
    }

    /// <summary>
    /// Commits the prepared transactions of epochs up to <paramref name="checkpointId"/>, oldest first (a checkpoint
    /// that never completed is committed with the next one that does). A second call, or a call for an epoch that was
    /// folded into a later one, commits nothing. May come after later barriers' <see cref="PrepareCommit"/>.
    /// </summary>
    public void Commit(long checkpointId)
    {
        while (_pool.TryCommitOldest(checkpointId, out var slot))
            if (_pool.Release(slot) && _held.Count > 0) SendHeld(slot);
    }

    /// <summary>
    /// After a restart: InitTransactions on every transactional id this subtask may have left a transaction open on
    /// (this pool's ids first, then those <see cref="KafkaTransactionFencing.Plan"/> finds in the restored handles)
    /// fences the previous producers and finishes their transactions; then the restored handles' output is committed
    /// once (<see cref="KafkaTransactionRecovery"/>).
    /// </summary>
    public void Recover(IReadOnlyList<byte[]> committable)
    {
        foreach (var slot in _pool.Slots)
        {
            _pool.EnsureInitialized(slot);
            _fenced.Add(slot.TransactionalId);
        }
        var own = _pool.Slots.Select(s => s.TransactionalId).ToHashSet(StringComparer.Ordinal);
        var (mine, others) = KafkaTransactionFencing.Plan(_prefix, _subtask, _parallelism, own, committable);
        foreach (var id in others)
        {
            using var fencer = _producers(id);
            fencer.InitTransactions();
            _fenced.Add(id);
        }
        if (others.Count > 0) _log($"{_name}: fenced the transactional ids of a previous run: {string.Join(", ", others)}");
        Recovered = KafkaTransactionRecovery.Run(mine, _prefix, _topic, _producers, _markers, _log, _name);
        // The marker topic's partitions are looked up (and the topic created) now, not at the first barrier.
        _ = _markerPartition.Value;
    }

    public void Flush(bool endOfInput)
    {
        if (!endOfInput)
        {
            if (_pool.Current is { InTransaction: true } current) current.Producer.Flush();
            return;
        }
        // End of input without a final checkpoint: commit what is left (prepared and held records included).
        if (_pool.Current is { InTransaction: true } || _held.Count > 0) PrepareCommit(long.MaxValue);
        Commit(long.MaxValue);
    }

    public void Dispose() => _pool.Dispose();
}
