using System.Diagnostics;
using Akka.Actor;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Execution;

/// <summary>This task's state for a checkpoint is written: its handles (in the checkpoint store, and in the savepoint directory for a savepoint).</summary>
/// <param name="KeyedBytes">For a row materialised in the asynchronous part: its keyed and operator state bytes (what later rows build on).</param>
internal sealed record TaskStateWritten(long CheckpointId, TaskStateRef State, TaskStateRef? Savepoint, long? KeyedBytes = null);

/// <summary>Writing this task's state for a checkpoint failed.</summary>
internal sealed record TaskStateWriteFailed(long CheckpointId, Exception Cause);

/// <summary>
/// Takes one task's part of checkpoints (Flink: <c>SubtaskCheckpointCoordinatorImpl</c>): forwards the barrier first (so
/// downstream can align while this task writes), copies the chain's state synchronously into bytes, writes them
/// asynchronously through the task's <see cref="ICheckpointStorage"/> (the checkpoint store; for a savepoint also the
/// savepoint directory the barrier names), and acknowledges with the handles, or declines, when the writes end. The
/// job master never sees the bytes (Flink: the asynchronous part, <c>AsyncCheckpointRunnable</c>, reporting handles).
/// With incremental checkpoints it decides, per checkpoint, whether the task writes its whole state or only the changes
/// since its last written row (<see cref="IncrementalChainTracker"/>). When a chain is due to close, the task still
/// copies only the changes; the asynchronous part reads the chain's rows back and writes the whole state as one row
/// (<see cref="ChainMaterialisation"/>), so the pause never grows with the state after the first checkpoint.
/// </summary>
/// <remarks>Not an actor: it runs inside the task actor, on its thread, and sends as the task (<paramref name="self"/>);
/// the writes' outcomes come back to the task as <see cref="TaskStateWritten"/> / <see cref="TaskStateWriteFailed"/>.</remarks>
internal sealed class SubtaskCheckpointCoordinator(TaskId id, JobVertex vertex, TaskChain chain, IClock clock, IActorRef master, IActorRef self, ActorSystem system)
{
    private readonly Dictionary<long, (double AlignmentMs, double SyncMs, long KeyedBytes)> _writing = [];
    private readonly IncrementalChainTracker _chain = new();
    private TaskCheckpointing? _checkpointing;
    private ICheckpointStorage? _storage;
    private int _attempt;
    private (byte[] Bytes, long? DeltaOf, long KeyedBytes)? _finalState;

    /// <summary>The deployment's attempt and checkpoint settings (null: the job runs without checkpoints; savepoints still work).</summary>
    /// <param name="storage">Where checkpoints go (the checkpoint store); null without checkpointing.</param>
    /// <param name="restored">The task's own row in the checkpoint it restored (<see cref="DeployTask.RestoredRow"/>):
    /// its state is that row's, so the chain goes on from it and the first checkpoint is a delta too.</param>
    public void Deploy(int attempt, TaskCheckpointing? checkpointing, ICheckpointStorage? storage, (long CheckpointId, TaskStateRef Row)? restored = null)
    {
        _attempt = attempt;
        _checkpointing = checkpointing;
        _storage = storage;
        _chain.Reset();
        if (restored is { } r) _chain.Continue(r.CheckpointId, r.Row);
    }

    /// <summary>Takes this task's part of checkpoint <paramref name="checkpointId"/>.</summary>
    /// <param name="savepointDirectory">For a savepoint: the directory this task writes its state into.</param>
    /// <param name="alignStartTicks">When the alignment started (the first barrier), for the alignment time reported.</param>
    public void Checkpoint(long checkpointId, bool savepoint, string? savepointDirectory, long alignStartTicks)
    {
        var alignMs = Stopwatch.GetElapsedTime(alignStartTicks).TotalMilliseconds;
        foreach (var w in chain.Writers)
            w.Broadcast(ch => new BarrierMessage { CheckpointId = checkpointId, Timestamp = clock.NowMillis, IsSavepoint = savepoint, SavepointDirectory = savepointDirectory, Channel = ch, Attempt = _attempt });
        if (_checkpointing is null && !savepoint) return;
        var start = Stopwatch.GetTimestamp();
        byte[] bytes;
        TaskStateSnapshot snapshot;
        try
        {
            if (savepoint && savepointDirectory is null) throw new InvalidOperationException($"savepoint {checkpointId}: the barrier names no savepoint directory");
            // A checkpoint while an earlier write is unfinished is whole. A savepoint is always written whole (it must
            // restore on its own), but like a row that closes a chain it is taken as a delta and materialised.
            snapshot = chain.Snapshot(checkpointId, NextDeltaOf());
            if (snapshot.DeltaOf is { } baseRow && (savepoint || _chain.MaterialisationDue(_checkpointing!.FullEvery)))
            {
                _writing[checkpointId] = (alignMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds, 0);
                MaterialiseAsync(checkpointId, snapshot, baseRow, savepoint ? savepointDirectory : null).PipeTo(self);
                return;
            }
            bytes = snapshot.ToBytes(SnapshotEncryption.For(system));
        }
        catch (Exception e)
        {
            // The backends may have forgotten the changes of a snapshot that is never written: the next one is whole.
            _chain.Reset();
            master.Tell(new DeclineCheckpoint(id, _attempt, checkpointId, e), self);
            return;
        }
        var syncMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var keyedBytes = KeyedBytes(snapshot);
        var task = _chain.Handle(NewHandle(bytes.Length), snapshot.DeltaOf, keyedBytes);
        _writing[checkpointId] = (alignMs, syncMs, keyedBytes);
        WriteAsync(checkpointId, task, bytes, savepoint ? savepointDirectory : null).PipeTo(self);
    }

    /// <summary>The row the next snapshot may build on: none without checkpointing or while an earlier write is unfinished.</summary>
    private long? NextDeltaOf() => _checkpointing is null || _writing.Count > 0 ? null : _chain.NextDeltaOf(_checkpointing.FullEvery);

    /// <summary>What later rows may build on: keyed state and operator state (a later row may patch it).</summary>
    private static long KeyedBytes(TaskStateSnapshot snapshot) => snapshot.Operators.Values.Sum(o => (o.Keyed?.SizeBytes ?? 0) + (o.Operator?.SizeBytes ?? 0));

    private TaskStateRef NewHandle(long size) =>
        new() { VertexUid = vertex.Uid, Subtask = id.Subtask, Parallelism = vertex.Parallelism, PersistenceId = _checkpointing?.PersistenceId ?? "", SizeBytes = size };

    /// <summary>
    /// The asynchronous part of a checkpoint that closes the chain, or of a savepoint, on the thread pool: reads the
    /// chain's rows back (up to <paramref name="baseRow"/>), applies <paramref name="delta"/>, and writes the result
    /// as one full row (and, for a savepoint, its file in <paramref name="savepointDirectory"/>).
    /// </summary>
    private Task<object> MaterialiseAsync(long checkpointId, TaskStateSnapshot delta, long baseRow, string? savepointDirectory)
    {
        var storage = _storage!;
        var cipher = SnapshotEncryption.For(system);
        var handle = NewHandle(0);
        return Task.Run<object>(async () =>
        {
            try
            {
                var chainBase = await storage.ReadSnapshotAsync(baseRow, handle, cipher).ConfigureAwait(false);
                var full = ChainMaterialisation.Materialise(chainBase, delta);
                var bytes = full.ToBytes(cipher);
                handle.SizeBytes = handle.FullSizeBytes = bytes.Length;
                handle.Chain = null;
                var written = await WriteAsync(checkpointId, handle, bytes, savepointDirectory).ConfigureAwait(false);
                return written is TaskStateWritten w ? w with { KeyedBytes = KeyedBytes(full) } : written;
            }
            catch (Exception e)
            {
                return new TaskStateWriteFailed(checkpointId, e);
            }
        });
    }

    /// <summary>
    /// The asynchronous part: the checkpoint store (with checkpointing) and the savepoint directory (for a savepoint)
    /// are written together; savepoint files are written on the thread pool, never on the task's thread.
    /// </summary>
    private async Task<object> WriteAsync(long checkpointId, TaskStateRef task, byte[] bytes, string? savepointDirectory)
    {
        try
        {
            var stored = _checkpointing is null ? Task.FromResult(task) : _storage!.WriteAsync(checkpointId, task, bytes);
            var savepoint = savepointDirectory is null ? Task.FromResult<TaskStateRef?>(null)
                : Task.Run<TaskStateRef?>(async () => await new SavepointLocation(savepointDirectory).WriteAsync(checkpointId, task, bytes).ConfigureAwait(false));
            await Task.WhenAll((Task)stored, savepoint).ConfigureAwait(false);
            return new TaskStateWritten(checkpointId, await stored.ConfigureAwait(false), await savepoint.ConfigureAwait(false));
        }
        catch (Exception e)
        {
            return new TaskStateWriteFailed(checkpointId, e);
        }
    }

    /// <summary>The state of checkpoint <see cref="TaskStateWritten.CheckpointId"/> is written: acknowledge it with its handles.</summary>
    public void OnWritten(TaskStateWritten written)
    {
        if (!_writing.Remove(written.CheckpointId, out var times)) return;
        _chain.Written(written.CheckpointId, written.State, written.KeyedBytes ?? times.KeyedBytes);
        master.Tell(new AcknowledgeCheckpoint(id, _attempt, written.CheckpointId, written.State, times.AlignmentMs, times.SyncMs, written.Savepoint), self);
    }

    public void OnWriteFailed(long checkpointId, Exception cause)
    {
        if (!_writing.Remove(checkpointId)) return;
        // The changes of that snapshot were never stored: the next one is whole.
        _chain.Reset();
        master.Tell(new DeclineCheckpoint(id, _attempt, checkpointId, cause), self);
    }

    /// <summary>
    /// The input ended: with checkpointing, copies the task's state now (sinks' last pre-commits, sources at their end)
    /// for the job's final checkpoint, whose id only the job master knows once every task finished. Like a checkpoint
    /// it copies only the changes since the task's last row when its chain may grow by one more.
    /// </summary>
    /// <param name="checkpointId">The task's own count for the final checkpoint (recorded in the snapshot, as before).</param>
    public void KeepFinalState(long checkpointId)
    {
        _finalState = null;
        if (_checkpointing is null) return;
        var snapshot = chain.Snapshot(checkpointId, _chain.MaterialisationDue(_checkpointing.FullEvery) ? null : NextDeltaOf());
        _finalState = (snapshot.ToBytes(SnapshotEncryption.For(system)), snapshot.DeltaOf, KeyedBytes(snapshot));
    }

    /// <summary>Writes the state kept at the end of input as final checkpoint <paramref name="checkpointId"/> and acknowledges with its handle.</summary>
    public void WriteFinalState(long checkpointId)
    {
        if (_checkpointing is null || _finalState is not { } final) return;
        var task = _chain.Handle(NewHandle(final.Bytes.Length), final.DeltaOf, final.KeyedBytes);
        _writing[checkpointId] = (0, 0, final.KeyedBytes);
        WriteAsync(checkpointId, task, final.Bytes, savepointDirectory: null).PipeTo(self);
    }
}
