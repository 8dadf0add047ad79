using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The transactional producers of one exactly-once sink subtask (Flink: the transactional producer pool of
/// FlinkKafkaProducer, and KafkaWriter's pool of FlinkKafkaInternalProducer). Kafka allows one open transaction per
/// transactional.id, so the pool holds <see cref="KafkaSinkOptions.TransactionalProducerPoolSize"/> producers: one is
/// <see cref="Current"/> (takes the records of the current epoch), the prepared ones wait for their checkpoint in
/// epoch order, the rest are free. Which records go where (and holding them when no producer is free) is the
/// writer's; the pool keeps the slots' states consistent. Slot 0's producer belongs to the writer base.
/// </summary>
internal sealed class TransactionalProducerPool : IDisposable
{
    internal sealed class Slot(int index, string transactionalId, IProducer<byte[], byte[]> producer)
    {
        public readonly int Index = index;
        public readonly string TransactionalId = transactionalId;
        public readonly IProducer<byte[], byte[]> Producer = producer;
        public bool Initialized;
        public bool InTransaction;
        /// <summary>The epoch of the prepared transaction; -1 while the slot is free or being written.</summary>
        public long Epoch = -1;
    }

    private readonly KafkaSinkOptions _options;
    private readonly Action<string> _log;
    private readonly string _name;
    private readonly Slot[] _slots;
    private readonly Queue<Slot> _free = new();
    /// <summary>Prepared transactions waiting for their checkpoint, in epoch order.</summary>
    private readonly List<Slot> _prepared = [];

    /// <param name="first">Slot 0's producer (built by the writer base, which disposes it).</param>
    /// <param name="build">Builds the producer of slot n ≥ 1 with the given transactional id.</param>
    public TransactionalProducerPool(string prefix, int subtask, IProducer<byte[], byte[]> first, Func<string, int, IProducer<byte[], byte[]>> build,
        KafkaSinkOptions options, Action<string> log, string name)
    {
        _options = options;
        _log = log;
        _name = name;
        _slots = new Slot[options.TransactionalProducerPoolSize];
        _slots[0] = new Slot(0, TransactionalIdFactory.Of(prefix, subtask, 0), first);
        for (var i = 1; i < _slots.Length; i++)
        {
            var id = TransactionalIdFactory.Of(prefix, subtask, i);
            _slots[i] = new Slot(i, id, build(id, i));
        }
        Current = _slots[0];
        for (var i = 1; i < _slots.Length; i++) _free.Enqueue(_slots[i]);
    }

    public IReadOnlyList<Slot> Slots => _slots;

    /// <summary>The producer the records of the current epoch go to; null while every producer holds a prepared transaction.</summary>
    public Slot? Current { get; private set; }

    /// <summary>Producers whose transaction is prepared and waits for its checkpoint to complete.</summary>
    public int PreparedCount => _prepared.Count;

    /// <summary>InitTransactions: fences older producers with this id and aborts their open transaction.</summary>
    public void EnsureInitialized(Slot slot)
    {
        if (slot.Initialized) return;
        KafkaRetry.Run(() => { slot.Producer.InitTransactions(_options.RequestTimeout); return 0; },
            $"init transactions of {slot.TransactionalId}", _options.MaxWait, _log);
        slot.Initialized = true;
    }

    public void EnsureTransaction(Slot slot)
    {
        EnsureInitialized(slot);
        if (slot.InTransaction) return;
        slot.Producer.BeginTransaction();
        slot.InTransaction = true;
    }

    /// <summary>
    /// The slot whose transaction a barrier prepares. Normally <see cref="Current"/> (its transaction begun even if
    /// empty, so every handle can be committed), and writing moves to the next free slot. With none current,
    /// <paramref name="folded"/>: the newest prepared slot is taken back; its still open transaction will belong to
    /// the new epoch.
    /// </summary>
    public Slot TakeForPrepare(out bool folded)
    {
        if (Current is { } current)
        {
            EnsureTransaction(current);
            Current = _free.TryDequeue(out var next) ? next : null;
            folded = false;
            return current;
        }
        var slot = _prepared[^1];
        _prepared.RemoveAt(_prepared.Count - 1);
        folded = true;
        return slot;
    }

    /// <summary>The slot's transaction is flushed: it waits for checkpoint <paramref name="epoch"/>.</summary>
    public void MarkPrepared(Slot slot, long epoch)
    {
        slot.Epoch = epoch;
        _prepared.Add(slot);
    }

    /// <summary>Commits the oldest prepared transaction if its epoch is at or below <paramref name="checkpointId"/>; the slot is then to be <see cref="Release"/>d.</summary>
    public bool TryCommitOldest(long checkpointId, out Slot slot)
    {
        slot = null!;
        if (_prepared.Count == 0 || _prepared[0].Epoch > checkpointId) return false;
        var s = slot = _prepared[0];
        KafkaRetry.Run(() => { s.Producer.CommitTransaction(_options.RequestTimeout); return 0; },
            $"commit transaction {s.TransactionalId} epoch {s.Epoch}", _options.MaxWait, _log);
        _prepared.RemoveAt(0);
        s.InTransaction = false;
        s.Epoch = -1;
        return true;
    }

    /// <summary>Returns a committed slot: it becomes <see cref="Current"/> (true) if none is, else it is free.</summary>
    public bool Release(Slot slot)
    {
        if (Current is null)
        {
            Current = slot;
            return true;
        }
        _free.Enqueue(slot);
        return false;
    }

    /// <summary>Aborts open transactions and disposes the producers of slots 1 ..; slot 0's producer is the writer base's.</summary>
    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            if (slot.InTransaction)
            {
                try
                {
                    slot.Producer.AbortTransaction(_options.RequestTimeout);
                }
                catch (KafkaException e)
                {
                    _log($"{_name}: abort of {slot.TransactionalId} on close failed: {e.Message}");
                }
            }
            if (slot.Index > 0) slot.Producer.Dispose();
        }
    }
}
