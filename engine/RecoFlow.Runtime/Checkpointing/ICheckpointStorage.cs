namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Where a task's state for a checkpoint is written and read back (Flink: <c>CheckpointStorage</c> /
/// <c>CheckpointStorageLocation</c>, with <see cref="TaskStateRef"/> as the <c>StreamStateHandle</c>). The task writes
/// its own state and reports only the handle, so no state travels in messages to the job master (remote frames are
/// limited in size); a restore reads the handles that a completed checkpoint or a savepoint lists. A savepoint is a
/// checkpoint with another location and format: <see cref="SnapshotStoreStorage"/> is the checkpoint store,
/// <see cref="SavepointLocation"/> a savepoint directory.
/// </summary>
/// <remarks>The state is handled as stored bytes (sealed by the snapshot cipher); decoding is <see cref="TaskStateSnapshot.FromBytes"/>.</remarks>
public interface ICheckpointStorage
{
    /// <summary>
    /// Writes the state of task <paramref name="task"/> (its vertex, subtask and parallelism; for the checkpoint store
    /// also its persistence id) for checkpoint <paramref name="checkpointId"/>. Returns the handle to list in the
    /// checkpoint's record: <paramref name="task"/> with where the bytes went and their size.
    /// </summary>
    Task<TaskStateRef> WriteAsync(long checkpointId, TaskStateRef task, byte[] state, CancellationToken cancel = default);

    /// <summary>
    /// Reads the bytes <paramref name="handle"/> points to for checkpoint <paramref name="checkpointId"/>; a missing or
    /// unreadable state throws <see cref="CorruptSnapshotException"/> naming the checkpoint and the task.
    /// </summary>
    Task<byte[]> ReadAsync(long checkpointId, TaskStateRef handle, CancellationToken cancel = default);
}

public static class CheckpointStorageExtensions
{
    /// <summary>
    /// Reads and decodes the task snapshot <paramref name="handle"/> points to (Flink: restoring a task from its handle).
    /// A row of an incremental checkpoint is read with the earlier rows it builds on (<see cref="TaskStateSnapshot.DeltaOf"/>)
    /// and returned as one snapshot (<see cref="IncrementalChain.Flatten(IReadOnlyList{TaskStateSnapshot})"/>); any of them missing or unreadable throws
    /// <see cref="CorruptSnapshotException"/> for <paramref name="checkpointId"/>, naming the row that failed.
    /// </summary>
    public static async Task<TaskStateSnapshot> ReadSnapshotAsync(this ICheckpointStorage storage, long checkpointId, TaskStateRef handle, ISnapshotCipher? cipher = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(handle);
        var bytes = await storage.ReadAsync(checkpointId, handle, cancel).ConfigureAwait(false);
        var newest = TaskStateSnapshot.FromBytes(bytes, checkpointId, handle.PersistenceId, cipher);
        if (newest.DeltaOf is null) return newest;
        var chain = new List<TaskStateSnapshot> { newest };
        var rowId = checkpointId;
        while (chain[^1].DeltaOf is { } baseId)
        {
            if (baseId >= rowId || chain.Count > IncrementalChain.MaxLength)
                throw new CorruptSnapshotException(checkpointId, $"the state of task {handle.PersistenceId} has a malformed chain (row {rowId} builds on {baseId})");
            try
            {
                var baseBytes = await storage.ReadAsync(baseId, handle, cancel).ConfigureAwait(false);
                chain.Add(TaskStateSnapshot.FromBytes(baseBytes, baseId, handle.PersistenceId, cipher));
            }
            catch (CorruptSnapshotException e)
            {
                throw new CorruptSnapshotException(checkpointId, $"the state of task {handle.PersistenceId} builds on checkpoint {baseId}, which cannot be read: {e.Message}", e);
            }
            rowId = baseId;
        }
        chain.Reverse();
        try
        {
            return IncrementalChain.Flatten(chain);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptSnapshotException(checkpointId, $"the state of task {handle.PersistenceId} cannot be rebuilt from its chain: {e.Message}", e);
        }
    }
}
