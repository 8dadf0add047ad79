using Akka.Actor;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Runtime.Coordination;

/// <summary>A savepoint a client asked for, and whom to answer (the asker of <see cref="TriggerSavepoint"/>).</summary>
/// <param name="Drain">Sources emit the final watermark just before the savepoint's barrier, so every event-time timer and window fires first (Flink: <c>stop --drain</c>).</param>
internal sealed record SavepointRequest(string Directory, bool Stop, IActorRef? ReplyTo, bool Drain = false);

/// <summary>
/// A checkpoint that was triggered and is not complete yet (Flink: PendingCheckpoint): the acknowledgements of the
/// tasks so far. Once every task has acknowledged, or for the final checkpoint from its start (its tasks write their
/// states, and a failure then records no failed checkpoint), it is <see cref="Persisting"/>: its record is on the way to the store, so late acks no longer count and an abort no
/// longer records it as failed (the store decides its fate).
/// </summary>
internal sealed class PendingCheckpoint
{
    private readonly Dictionary<TaskId, AcknowledgeCheckpoint> _acks = [];

    public PendingCheckpoint(long id, bool isSavepoint, DateTime triggeredAt)
    {
        Id = id;
        IsSavepoint = isSavepoint;
        TriggeredAt = triggeredAt;
    }

    public long Id { get; }
    public bool IsSavepoint { get; }
    public DateTime TriggeredAt { get; }
    public IReadOnlyDictionary<TaskId, AcknowledgeCheckpoint> Acks => _acks;
    public bool Persisting { get; private set; }

    /// <summary>For a savepoint: where to write it and whom to answer.</summary>
    public SavepointRequest? Savepoint { get; init; }

    /// <summary>For a savepoint, once triggered: the directory its tasks write into (Flink: the savepoint's target location).</summary>
    public SavepointLocation? SavepointTarget { get; set; }

    /// <summary>The job's final checkpoint: its acks are the handles of every task's state after its input ended.</summary>
    public bool IsFinal { get; init; }

    /// <summary>Records <paramref name="ack"/> (one per task: a repeated ack replaces the earlier one); true once <paramref name="expectedTasks"/> tasks have acknowledged.</summary>
    public bool Acknowledge(AcknowledgeCheckpoint ack, int expectedTasks)
    {
        _acks[ack.Task] = ack;
        if (_acks.Count < expectedTasks) return false;
        Persisting = true;
        return true;
    }

    public void MarkPersisting() => Persisting = true;

    /// <summary>The completed record of an acknowledged checkpoint (Flink: CompletedCheckpoint).</summary>
    public CheckpointRecord ToCompleted(DateTime completedAt, int attempt)
    {
        var acks = _acks.Values.ToList();
        return new CheckpointRecord
        {
            Id = Id,
            Status = CheckpointStatus.Completed,
            TriggeredAt = TriggeredAt,
            CompletedAt = completedAt,
            SizeBytes = acks.Sum(x => x.State.SizeBytes),
            FullSizeBytes = acks.Sum(x => x.State.RestoreSizeBytes),
            AlignmentMs = acks.Max(x => x.AlignmentMs),
            SyncMs = acks.Max(x => x.SyncMs),
            Tasks = acks.Select(x => x.State).ToList(),
            Attempt = attempt,
        };
    }

    /// <summary>The completed record of the final checkpoint, from the tasks' handles.</summary>
    public CheckpointRecord ToFinal(DateTime completedAt, int attempt)
    {
        var states = _acks.Values.Select(a => a.State).ToList();
        return new CheckpointRecord
        {
            Id = Id,
            Status = CheckpointStatus.Completed,
            TriggeredAt = TriggeredAt,
            CompletedAt = completedAt,
            IsFinal = true,
            SizeBytes = states.Sum(s => s.SizeBytes),
            FullSizeBytes = states.Sum(s => s.RestoreSizeBytes),
            Attempt = attempt,
            Tasks = states,
        };
    }

    public CheckpointRecord ToFailed(DateTime failedAt, string cause, int attempt) =>
        new() { Id = Id, Status = CheckpointStatus.Failed, TriggeredAt = TriggeredAt, CompletedAt = failedAt, FailureCause = cause, Attempt = attempt };
}
