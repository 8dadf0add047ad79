namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Which task rows the checkpoint store keeps: those that a retained checkpoint reads. With incremental checkpoints a
/// checkpoint's task state is a chain of rows (a full one and the deltas after it, <see cref="TaskStateRef.Chain"/>),
/// shared by the checkpoints that build on it; a row is deleted only when no retained checkpoint's chain reaches it.
/// </summary>
public static class RetentionPlan
{
    /// <summary>
    /// Per persistence id of the tasks of <paramref name="completed"/> (oldest first), the oldest row to keep when the
    /// last <paramref name="retained"/> are retained: rows below it may be deleted.
    /// </summary>
    public static IReadOnlyDictionary<string, long> OldestRowsKept(IReadOnlyList<CheckpointRecord> completed, int retained)
    {
        ArgumentNullException.ThrowIfNull(completed);
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        if (completed.Count == 0) return result;
        var kept = completed.Skip(Math.Max(0, completed.Count - retained)).ToList();
        var oldestKept = kept[0].Id;
        foreach (var pid in completed.SelectMany(c => c.Tasks).Select(t => t.PersistenceId).Distinct(StringComparer.Ordinal))
            result[pid] = oldestKept;
        foreach (var record in kept)
            foreach (var task in record.Tasks)
                result[task.PersistenceId] = Math.Min(result[task.PersistenceId], task.OldestRowNeeded(record.Id));
        return result;
    }
}
