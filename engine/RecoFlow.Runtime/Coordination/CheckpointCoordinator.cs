using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Runtime.Coordination;

/// <summary>What a task finishing did to the checkpoints: the pending one it aborted (and its failed record, to persist), and the savepoint request it rejected.</summary>
internal sealed record TaskFinishedOutcome(bool AbortedPending, CheckpointRecord? FailedRecord, SavepointRequest? RejectedSavepoint);

/// <summary>
/// Decides about a job's checkpoints (Flink: CheckpointCoordinator), without an actor: the job master feeds it events
/// (trigger tick, savepoint request, ack, decline, timeout, task finished, record persisted) and carries out what it
/// answers (send barriers, persist a record, notify tasks, fail over). At most one checkpoint is pending at a time
/// (Flink's maxConcurrentCheckpoints = 1), a savepoint request goes before the next periodic checkpoint, and the min
/// pause counts from the completion of the last one. Time comes from <see cref="TimeProvider"/> so tests drive it.
/// </summary>
internal sealed class CheckpointCoordinator
{
    private readonly CheckpointOptions? _options;
    private readonly TimeProvider _time;
    private SavepointRequest? _requested;
    // A task of this attempt finished: no checkpoint can cover every task any more (Flink before FLIP-147), so only
    // the final checkpoint remains.
    private bool _tasksFinishing;

    /// <param name="options">Null when the job runs without periodic checkpoints (savepoints are still possible).</param>
    public CheckpointCoordinator(CheckpointOptions? options, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        Completed = new CompletedCheckpointStore(options?.Retained ?? 1);
    }

    public CompletedCheckpointStore Completed { get; }

    /// <summary>The highest checkpoint id used or seen: the next checkpoint takes the one after.</summary>
    public long LastId { get; private set; }

    /// <summary>The attempt whose acks count; acks and declines of older attempts are ignored.</summary>
    public int Attempt { get; private set; }

    public PendingCheckpoint? Pending { get; private set; }

    /// <summary>The checkpoint a restart restores: normally the latest completed one, an older retained one after a failed load.</summary>
    public CheckpointRecord? LastCompleted { get; private set; }

    public DateTime LastCompletedAt { get; private set; } = DateTime.MinValue;

    public bool HasSavepointRequest => _requested is not null;

    /// <summary>How long a pending checkpoint may take; a savepoint of a job without checkpoint options gets 2 minutes.</summary>
    public TimeSpan Timeout => _options?.Timeout ?? TimeSpan.FromMinutes(2);

    /// <summary>No checkpoint is pending and no task has finished: a new one may start (Flink: the trigger preconditions).</summary>
    public bool CanTrigger => Pending is null && !_tasksFinishing;

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    // ---- restore ----

    /// <summary>Takes in the job's checkpoint history from the store; returns the checkpoint to restore, if any (Flink: CheckpointCoordinator.restoreLatestCheckpointedState).</summary>
    public CheckpointRecord? Recover(IReadOnlyList<CheckpointRecord> history)
    {
        foreach (var r in history)
        {
            LastId = Math.Max(LastId, r.Id);
            if (r.Status == CheckpointStatus.Completed) Completed.Add(r);
        }
        LastCompleted = history.LastOrDefault(r => r.Status == CheckpointStatus.Completed);
        return LastCompleted;
    }

    /// <summary>The job starts from savepoint <paramref name="id"/>: new checkpoints take higher ids.</summary>
    public void RestoredFromSavepoint(long id) => LastId = Math.Max(LastId, id);

    /// <summary>
    /// Checkpoint <paramref name="failed"/> could not be loaded: the newest older checkpoint that is still retained
    /// (so its snapshots were not deleted), which becomes the one to restore, or null when there is none.
    /// </summary>
    public CheckpointRecord? FallBackFrom(CheckpointRecord failed)
    {
        var previous = Completed.NewestBefore(failed.Id);
        if (previous is not null) LastCompleted = previous;
        return previous;
    }

    /// <summary>A new attempt of the job was deployed: only its acks count, and it may take checkpoints again.</summary>
    public void StartAttempt(int attempt)
    {
        Attempt = attempt;
        _tasksFinishing = false;
    }

    // ---- trigger ----

    /// <summary>Remembers a savepoint request for the next trigger; a later request replaces an earlier one not triggered yet.</summary>
    public void RequestSavepoint(SavepointRequest request) => _requested = request;

    /// <summary>
    /// Starts a checkpoint if one may start: the requested savepoint first, else a periodic checkpoint once the min
    /// pause since the last completion passed. Returns it (the caller sends its barriers and schedules its timeout).
    /// </summary>
    public PendingCheckpoint? TryTrigger()
    {
        if (!CanTrigger) return null;
        if (_requested is { } request)
        {
            _requested = null;
            return Pending = new PendingCheckpoint(++LastId, isSavepoint: true, Now) { Savepoint = request };
        }
        if (_options is null || Now - LastCompletedAt < _options.MinPause) return null;
        return Pending = new PendingCheckpoint(++LastId, isSavepoint: false, Now);
    }

    // ---- acks, declines, timeouts ----

    /// <summary>
    /// A task acknowledged (Flink: receiveAcknowledgeMessage). Acks of another attempt, of a checkpoint that is not the
    /// pending one, or arriving after all were in, are ignored. Returns the completed record to persist once all
    /// <paramref name="expectedTasks"/> tasks have acknowledged.
    /// </summary>
    public CheckpointRecord? Acknowledge(AcknowledgeCheckpoint ack, int expectedTasks)
    {
        if (ack.Attempt != Attempt || Pending is null || Pending.Id != ack.Id || (Pending.Persisting && !Pending.IsFinal)) return null;
        if (!Pending.Acknowledge(ack, expectedTasks)) return null;
        if (!Pending.IsFinal) return Pending.ToCompleted(Now, Attempt);
        // The final checkpoint is done with once its record is on the way: late acks and aborts no longer concern it.
        var final = Pending.ToFinal(Now, Attempt);
        Pending = null;
        return final;
    }

    /// <summary>A task declined (Flink: receiveDeclineMessage): the failure to fail the job over with, or null when it is not about the pending checkpoint of this attempt.</summary>
    public Exception? Decline(DeclineCheckpoint decline, string taskName)
    {
        if (decline.Attempt != Attempt || Pending?.Id != decline.Id) return null;
        return new InvalidOperationException($"checkpoint {decline.Id} was declined by task {taskName}: {decline.Cause.Message}", decline.Cause);
    }

    /// <summary>The timeout of checkpoint <paramref name="id"/> fired: the failure to fail the job over with, or null when that checkpoint is no longer pending.</summary>
    public Exception? Expire(long id) =>
        Pending?.Id != id ? null : new TimeoutException($"checkpoint {id} expired after {Timeout.TotalSeconds:0.#} s");

    /// <summary>
    /// Drops the pending checkpoint (Flink: abortPendingCheckpoints); a savepoint request it carried is requeued for
    /// the next trigger. Returns the failed record to persist, or null when nothing was pending or its record is
    /// already on the way to the store.
    /// </summary>
    public CheckpointRecord? Abort(string cause)
    {
        if (Pending is not { } p) return null;
        Pending = null;
        if (p.Savepoint is not null) _requested = p.Savepoint;
        return p.Persisting ? null : p.ToFailed(Now, cause, Attempt);
    }

    // ---- completion ----

    /// <summary>
    /// The store made a completed record durable (Flink: completePendingCheckpoint, then CompletedCheckpointStore.addCheckpoint).
    /// Returns the pending checkpoint it completes (its tasks are to be notified, its savepoint written), or null for
    /// the final checkpoint and for a checkpoint that is no longer pending.
    /// </summary>
    public PendingCheckpoint? OnCompleted(CheckpointRecord record)
    {
        if (record.Status != CheckpointStatus.Completed) throw new ArgumentException($"checkpoint {record.Id} did not complete", nameof(record));
        LastCompleted = record;
        LastCompletedAt = Now;
        Completed.Add(record);
        if (record.IsFinal || Pending?.Id != record.Id) return null;
        var pending = Pending;
        Pending = null;
        return pending;
    }

    // ---- finishing ----

    /// <summary>
    /// A task's input ended. A pending checkpoint that is not complete yet can no longer complete (the task will not
    /// see its barrier) and is aborted; a requested savepoint is rejected; no new checkpoint starts in this attempt.
    /// </summary>
    public TaskFinishedOutcome OnTaskFinished(string taskName)
    {
        _tasksFinishing = true;
        var aborted = Pending is { Persisting: false };
        var failed = aborted ? Abort($"task {taskName} finished before the checkpoint completed") : null;
        var rejected = _requested;
        _requested = null;
        return new TaskFinishedOutcome(aborted, failed, rejected);
    }

    /// <summary>
    /// Every task finished: starts the final checkpoint, which holds each task's state after its input ended, with an
    /// id above every id used and at least <paramref name="minId"/> (the tasks' own count). The caller asks every task
    /// to write its kept state as this checkpoint; <see cref="Acknowledge"/> gives its record once all have.
    /// </summary>
    public PendingCheckpoint BeginFinalCheckpoint(long minId)
    {
        var id = Math.Max(LastId + 1, minId);
        LastId = id;
        Pending = new PendingCheckpoint(id, isSavepoint: false, Now) { IsFinal = true };
        Pending.MarkPersisting();
        return Pending;
    }
}
