namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The transactional producer as the exactly-once sink's commit logic (<see cref="KafkaTransactionCoordinator"/>)
/// sees it: one <c>transactional.id</c>, Kafka's transaction calls, produce and flush. The real one is
/// <see cref="ConfluentTransactionalProducer"/>; tests put a broker with injected failures behind it. Blocking calls
/// retry transient errors themselves and throw when they give up (the task then fails and the job restarts).
/// </summary>
internal interface ITransactionalKafkaProducer : IDisposable
{
    string TransactionalId { get; }

    /// <summary>InitTransactions: fences every older producer with this id and completes its transaction (a prepared commit is finished, an open transaction aborted).</summary>
    void InitTransactions();

    void BeginTransaction();

    /// <summary>Produces <paramref name="record"/> to <paramref name="topic"/> in the open transaction; <paramref name="acknowledged"/> gets its offset once the broker has it.</summary>
    void Produce(string topic, KafkaRecord record, Action<long>? acknowledged = null);

    /// <summary>Waits until everything produced is acknowledged; throws if a record failed.</summary>
    void Flush();

    void CommitTransaction();

    void AbortTransaction();
}

/// <summary>Builds the transactional producer with a given <c>transactional.id</c>.</summary>
internal delegate ITransactionalKafkaProducer TransactionalProducerFactory(string transactionalId);

/// <summary>
/// Reads commit markers back (<see cref="KafkaCommitMarker"/>): whether the output of one pre-committed transaction was
/// committed. Asked only after every transactional id that could still commit it was fenced.
/// </summary>
internal interface IKafkaCommitMarkerReader
{
    /// <summary>
    /// True if a committed marker with <paramref name="marker"/>'s nonce is in its partition at or after its offset
    /// (the original transaction's marker, or that of an earlier recovery's re-send), read with read_committed.
    /// </summary>
    bool IsCommitted(KafkaCommitMarker marker);
}
