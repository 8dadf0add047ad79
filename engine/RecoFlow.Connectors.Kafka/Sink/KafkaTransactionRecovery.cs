namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Commits, after a restart, the output of the pre-committed transactions of the restored checkpoint exactly once,
/// whether or not they had committed before the failure. Runs after every transactional id that could still commit
/// one of them was fenced (InitTransactions finishes a commit in progress and aborts an open transaction, so each is
/// now committed or aborted for good). For each handle, oldest epoch first:
/// <list type="number">
/// <item>InitTransactions on the epoch's recovery id (<see cref="TransactionalIdFactory.Recovery"/>), which fences a
/// re-send of an earlier recovery that died half-way;</item>
/// <item>the epoch's commit marker is read back with read_committed (<see cref="IKafkaCommitMarkerReader"/>): found,
/// the transaction (or an earlier re-send) committed, and nothing is sent;</item>
/// <item>not found: the kept records and a marker with the same nonce are sent in one transaction on the recovery id
/// and committed.</item>
/// </list>
/// Librdkafka cannot resume a transaction begun by another producer (Flink's KafkaSink does, setting producer id and
/// epoch through reflection), so the records are sent again instead. Handles of writers that kept no records
/// (<see cref="KafkaTransactionHandle.RecordsKept"/> false) can only be logged: their transaction was aborted if it
/// had not committed.
/// </summary>
internal static class KafkaTransactionRecovery
{
    /// <summary>What recovery did with the handles of one subtask.</summary>
    public sealed record Outcome(int AlreadyCommitted, int Resent, long ResentRecords, int Unrecoverable);

    public static Outcome Run(IEnumerable<KafkaTransactionHandle> handles, string prefix, string topic, TransactionalProducerFactory producers,
        IKafkaCommitMarkerReader markers, Action<string> log, string name)
    {
        int committed = 0, resent = 0, lost = 0;
        long records = 0;
        foreach (var handle in handles.OrderBy(h => h.Epoch).ThenBy(h => h.Subtask))
        {
            if (!handle.RecordsKept)
            {
                lost++;
                log($"{name}: transaction {handle.TransactionalId} epoch {handle.Epoch} was written without its records and cannot be resumed; if it was not committed before the failure it has been aborted");
                continue;
            }
            if (handle.Marker is not { } marker) continue; // the epoch had no records
            var id = TransactionalIdFactory.Recovery(prefix, handle.Subtask, handle.Epoch);
            using var producer = producers(id);
            producer.InitTransactions();
            if (markers.IsCommitted(marker))
            {
                committed++;
                continue;
            }
            producer.BeginTransaction();
            foreach (var r in handle.Records) producer.Produce(topic, r);
            producer.Produce(marker.Topic, KafkaCommitMarker.Record(prefix, handle.Subtask, handle.Epoch, handle.Records.Count, marker.Nonce, marker.Partition));
            producer.Flush();
            producer.CommitTransaction();
            resent++;
            records += handle.Records.Count;
            log($"{name}: checkpoint {handle.Epoch} of subtask {handle.Subtask}: its transaction had not committed; sent its {handle.Records.Count} record(s) again as {id} and committed them");
        }
        if (committed > 0) log($"{name}: {committed} pre-committed transaction(s) of the restored checkpoint had committed before the failure");
        return new Outcome(committed, resent, records, lost);
    }
}
