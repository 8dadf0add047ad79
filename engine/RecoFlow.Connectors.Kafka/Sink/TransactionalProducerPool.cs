namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The transactional producers of one exactly-once sink subtask (Flink: the transactional producer pool of
/// FlinkKafkaProducer, and KafkaWriter's pool of FlinkKafkaInternalProducer). Kafka allows one open transaction per
/// transactional.id, so the pool holds <see cref="KafkaSinkOptions.TransactionalProducerPoolSize"/> producers: one is
/// <see cref="Current"/> (takes the records of the current epoch), the prepared ones wait for their checkpoint in
/// epoch order, the rest are free. Which records go where (and holding them when no producer is free) is the
/// <see cref="KafkaTransactionCoordinator"/>'s; the pool keeps the slots' states consistent and owns the producers.
/// </summary>
internal sealed class TransactionalProducerPool : IDisposable
{
    internal sealed class Slot(int index, ITransactionalKafkaProducer producer)
    {
        public readonly int Index = index;
        public readonly string TransactionalId = producer.TransactionalId;
        public readonly ITransactionalKafkaProducer Producer = producer;
        public bool Initialized;
        public bool InTransaction;
        /// <summary>The epoch of the prepared transaction; -1 while the slot is free or being written.</summary>
        public long Epoch = -1;
    }

    private readonly Action<string> _log;
    private readonly string _name;
    private readonly Slot[] _slots;
    private readonly Queue<Slot> _free = new();
    /// <summary>Prepared transactions waiting for their checkpoint, in epoch order.</summary>
    private readonly List<Slot> _prepared = [];

    /// <param name="producers">One producer per slot, slot 0 first (transactional ids "{prefix}-{subtask}-{slot}").</param>
    public TransactionalProducerPool(IReadOnlyList<ITransactionalKafkaProducer> producers, Action<string> log, string name)
    {
        if (producers.Count == 0) throw new ArgumentException("the pool needs at least one producer", nameof(producers));
        _log = log;
        _name = name;
        _slots = new Slot[producers.Count];
        for (var i = 0; i < _slots.Length; i++) _slots[i] = new Slot(i, producers[i]);
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
        slot.Producer.InitTransactions();
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
        s.Producer.CommitTransaction();
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

    /// <summary>Aborts open transactions and disposes the producers.</summary>
    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            if (slot.InTransaction)
            {
                try
                {
                    slot.Producer.AbortTransaction();
                }
                catch (Exception e) when (e is Confluent.Kafka.KafkaException or TimeoutException or InvalidOperationException)
                {
                    _log($"{_name}: abort of {slot.TransactionalId} on close failed: {e.Message}");
                }
            }
            slot.Producer.Dispose();
        }
    }
}
