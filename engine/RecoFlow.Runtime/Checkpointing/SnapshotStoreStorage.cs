using Akka.Actor;
using Akka.Persistence;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// The checkpoint store as a checkpoint storage (Flink: the checkpoint directory of <c>FileSystemCheckpointStorage</c>;
/// here the Akka.Persistence snapshot store, SQLite or PostgreSQL): a task's state for checkpoint n is the snapshot of
/// its persistence id with sequence number n, one row per task and checkpoint, exactly as before this abstraction.
/// </summary>
/// <param name="snapshotStore">The snapshot store actor (<c>Persistence.Instance.Apply(system).SnapshotStoreFor(null)</c>).</param>
/// <param name="timeout">How long one write or read may take; null waits as long as the store takes (the checkpoint's own timeout still applies).</param>
public sealed class SnapshotStoreStorage(IActorRef snapshotStore, TimeSpan? timeout = null) : ICheckpointStorage
{
    /// <summary>The storage over <paramref name="system"/>'s configured snapshot store.</summary>
    public static SnapshotStoreStorage For(ActorSystem system, TimeSpan? timeout = null) =>
        new(Persistence.Instance.Apply(system).SnapshotStoreFor(null), timeout);

    public async Task<TaskStateRef> WriteAsync(long checkpointId, TaskStateRef task, byte[] state, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(state);
        if (task.PersistenceId.Length == 0) throw new ArgumentException($"checkpoint {checkpointId}: task {task.VertexUid}/{task.Subtask} has no persistence id", nameof(task));
        var reply = await snapshotStore.Ask<object>(new SaveSnapshot(new SnapshotMetadata(task.PersistenceId, checkpointId, DateTime.UtcNow), state), timeout, cancel).ConfigureAwait(false);
        return reply switch
        {
            SaveSnapshotSuccess => Handle(task, state.Length),
            SaveSnapshotFailure f => throw new IOException($"checkpoint {checkpointId}: saving the state of task {task.PersistenceId} failed: {f.Cause.Message}", f.Cause),
            _ => throw new IOException($"checkpoint {checkpointId}: unexpected reply {reply.GetType().Name} saving task {task.PersistenceId}"),
        };
    }

    public async Task<byte[]> ReadAsync(long checkpointId, TaskStateRef handle, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var criteria = new SnapshotSelectionCriteria(checkpointId, DateTime.MaxValue, checkpointId, null);
        var reply = await snapshotStore.Ask<object>(new LoadSnapshot(handle.PersistenceId, criteria, long.MaxValue), timeout, cancel).ConfigureAwait(false);
        return reply switch
        {
            LoadSnapshotResult { Snapshot: { Snapshot: byte[] bytes } s } when s.Metadata.SequenceNr == checkpointId => bytes,
            LoadSnapshotResult => throw new CorruptSnapshotException(checkpointId, $"the state of task {handle.PersistenceId} is missing from the store"),
            LoadSnapshotFailed f => throw new CorruptSnapshotException(checkpointId, $"the state of task {handle.PersistenceId} cannot be loaded: {f.Cause.Message}", f.Cause),
            _ => throw new CorruptSnapshotException(checkpointId, $"unexpected reply {reply.GetType().Name} loading task {handle.PersistenceId}"),
        };
    }

    private static TaskStateRef Handle(TaskStateRef task, long size) =>
        new()
        {
            VertexUid = task.VertexUid, Subtask = task.Subtask, Parallelism = task.Parallelism, PersistenceId = task.PersistenceId, SizeBytes = size,
            FullSizeBytes = Math.Max(task.FullSizeBytes, size), Chain = task.Chain,
        };
}
