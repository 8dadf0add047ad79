using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// Takes one task's part of checkpoints (Flink: <c>SubtaskCheckpointCoordinatorImpl</c>): forwards the barrier first (so
/// downstream can align while this task writes), copies the chain's state synchronously into bytes, writes them to the
/// snapshot store asynchronously, and acknowledges or declines to the job master when the store answers.
/// </summary>
/// <remarks>Not an actor: it runs inside the task actor, on its thread, and sends as the task (<paramref name="self"/>).</remarks>
internal sealed class SubtaskCheckpointCoordinator(TaskId id, JobVertex vertex, TaskChain chain, IClock clock, IActorRef master, IActorRef self, ActorSystem system)
{
    private readonly Dictionary<long, (TaskStateRef Ref, double AlignmentMs, double SyncMs, byte[]? Savepoint)> _saving = [];
    private TaskCheckpointing? _checkpointing;
    private IActorRef _store = ActorRefs.Nobody;
    private int _attempt;

    /// <summary>The deployment's attempt and checkpoint settings (null: the job runs without checkpoints; savepoints still work).</summary>
    public void Deploy(int attempt, TaskCheckpointing? checkpointing, IActorRef store)
    {
        _attempt = attempt;
        _checkpointing = checkpointing;
        _store = store;
    }

    /// <summary>Takes this task's part of checkpoint <paramref name="checkpointId"/>.</summary>
    /// <param name="alignStartTicks">When the alignment started (the first barrier), for the alignment time reported.</param>
    public void Checkpoint(long checkpointId, bool savepoint, long alignStartTicks)
    {
        var alignMs = Stopwatch.GetElapsedTime(alignStartTicks).TotalMilliseconds;
        foreach (var w in chain.Writers)
            w.Broadcast(ch => new BarrierMessage { CheckpointId = checkpointId, Timestamp = clock.NowMillis, IsSavepoint = savepoint, Channel = ch, Attempt = _attempt });
        if (_checkpointing is null && !savepoint) return;
        var start = Stopwatch.GetTimestamp();
        byte[] bytes;
        try
        {
            bytes = Snapshot(checkpointId);
        }
        catch (Exception e)
        {
            master.Tell(new DeclineCheckpoint(id, _attempt, checkpointId, e), self);
            return;
        }
        var syncMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var stateRef = new TaskStateRef { VertexUid = vertex.Uid, Subtask = id.Subtask, Parallelism = vertex.Parallelism, PersistenceId = _checkpointing?.PersistenceId ?? "", SizeBytes = bytes.Length };
        if (_checkpointing is null)
        {
            // A savepoint of a job without checkpoints: the state goes only into the savepoint's files.
            master.Tell(new AcknowledgeCheckpoint(id, _attempt, checkpointId, stateRef, alignMs, syncMs, bytes), self);
            return;
        }
        _saving[checkpointId] = (stateRef, alignMs, syncMs, savepoint ? bytes : null);
        _store.Tell(new SaveSnapshot(new SnapshotMetadata(_checkpointing.PersistenceId, checkpointId, DateTime.UtcNow), bytes), self);
    }

    /// <summary>The store wrote checkpoint <paramref name="checkpointId"/>: acknowledge it (Flink: the asynchronous part completing).</summary>
    public void OnSaved(long checkpointId)
    {
        if (_saving.Remove(checkpointId, out var saved))
            master.Tell(new AcknowledgeCheckpoint(id, _attempt, checkpointId, saved.Ref, saved.AlignmentMs, saved.SyncMs, saved.Savepoint), self);
    }

    public void OnSaveFailed(long checkpointId, Exception cause)
    {
        if (_saving.Remove(checkpointId))
            master.Tell(new DeclineCheckpoint(id, _attempt, checkpointId, cause), self);
    }

    /// <summary>With checkpointing, the task's state after the end of input, for the job's final checkpoint; null without.</summary>
    public byte[]? FinalState(long checkpointId) => _checkpointing is null ? null : Snapshot(checkpointId);

    private byte[] Snapshot(long checkpointId) => chain.Snapshot(checkpointId).ToBytes(SnapshotEncryption.For(system));
}
