namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Which transactional ids a restored exactly-once writer must fence besides its own pool (Flink: TransactionAborter
/// and KafkaWriter's abortLingeringTransactions, which probe ids by checkpoint offset; here the restored handles
/// name the pools of the previous run). InitTransactions on an id fences the previous producer with it and aborts
/// its open transaction.
/// </summary>
internal static class KafkaTransactionFencing
{
    /// <summary>
    /// From the restored <paramref name="committable"/>: the handles that belong to this subtask, and the ids to fence
    /// that are not in <paramref name="own"/> (sorted). A handle belongs to the subtask that wrote it or, after a
    /// scale-down, to subtask (its subtask mod <paramref name="parallelism"/>) when its subtask no longer exists; it
    /// names the whole pool of that run (so a smaller pool now still fences the higher slots), or for a handle of the
    /// writer from before the pool (Subtask -1) its single id.
    /// </summary>
    public static (List<KafkaTransactionHandle> Mine, SortedSet<string> ToFence) Plan(
        string prefix, int subtask, int parallelism, IReadOnlySet<string> own, IReadOnlyList<byte[]> committable)
    {
        var mine = new List<KafkaTransactionHandle>();
        var others = new SortedSet<string>(StringComparer.Ordinal);
        parallelism = Math.Max(1, parallelism);
        foreach (var bytes in committable)
        {
            var handle = KafkaTransactionHandle.FromBytes(bytes);
            var belongs = handle.Subtask < 0
                ? handle.TransactionalId == TransactionalIdFactory.SingleProducerId(prefix, subtask)
                : handle.Subtask == subtask || (handle.Subtask >= parallelism && handle.Subtask % parallelism == subtask);
            if (!belongs) continue;
            mine.Add(handle);
            if (handle.Subtask < 0) others.Add(handle.TransactionalId);
            else
            {
                for (var i = 0; i < handle.PoolSize; i++)
                {
                    var id = TransactionalIdFactory.Of(prefix, handle.Subtask, i);
                    if (!own.Contains(id)) others.Add(id);
                }
            }
        }
        return (mine, others);
    }
}
