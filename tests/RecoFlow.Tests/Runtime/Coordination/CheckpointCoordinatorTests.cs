using Akka.Actor;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Coordination;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Runtime.Coordination;

/// <summary>
/// The checkpoint coordinator driven directly, without an actor system (in the manner of Flink's
/// CheckpointCoordinatorTest): events in, decisions out, time from a manual clock.
/// </summary>
public sealed class CheckpointCoordinatorTests
{
    private static readonly TaskId Source = new(0, 0), Map0 = new(1, 0), Map1 = new(1, 1);
    private const int TaskCount = 3;
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTime _time = new(Start);

    private CheckpointCoordinator Coordinator(CheckpointOptions? options = null, int attempt = 1)
    {
        var c = new CheckpointCoordinator(options, _time);
        c.StartAttempt(attempt);
        return c;
    }

    private CheckpointCoordinator Periodic(TimeSpan? minPause = null, int retained = 3) =>
        Coordinator(new CheckpointOptions { MinPause = minPause ?? TimeSpan.Zero, Retained = retained });

    private static AcknowledgeCheckpoint Ack(TaskId task, long id, int attempt = 1, long size = 10, double alignmentMs = 1) =>
        new(task, attempt, id, new TaskStateRef { VertexUid = $"v{task.Vertex}", Subtask = task.Subtask, Parallelism = 2, PersistenceId = $"p-{task}", SizeBytes = size },
            alignmentMs, 0.5, null);

    /// <summary>Triggers a checkpoint, has every task acknowledge it, and reports it durable; returns its record.</summary>
    private static CheckpointRecord Complete(CheckpointCoordinator c)
    {
        var pending = c.TryTrigger() ?? throw new InvalidOperationException("no checkpoint triggered");
        CheckpointRecord? record = null;
        foreach (var task in new[] { Source, Map0, Map1 }) record = c.Acknowledge(Ack(task, pending.Id, c.Attempt), TaskCount);
        Assert.NotNull(record);
        Assert.Same(pending, c.OnCompleted(record));
        return record;
    }

    [Fact]
    public void Trigger_then_acks_of_every_task_complete_the_checkpoint()
    {
        var c = Periodic();
        var pending = c.TryTrigger();
        Assert.NotNull(pending);
        Assert.Equal(1, pending.Id);
        Assert.False(pending.IsSavepoint);
        Assert.Equal(Start.UtcDateTime, pending.TriggeredAt);

        Assert.Null(c.Acknowledge(Ack(Source, 1, size: 10, alignmentMs: 4), TaskCount));
        Assert.Null(c.Acknowledge(Ack(Map0, 1, size: 20, alignmentMs: 9), TaskCount));
        Assert.False(pending.Persisting);
        _time.Advance(TimeSpan.FromSeconds(5));
        var record = c.Acknowledge(Ack(Map1, 1, size: 30, alignmentMs: 2), TaskCount);

        Assert.NotNull(record);
        Assert.Equal(1, record.Id);
        Assert.Equal(CheckpointStatus.Completed, record.Status);
        Assert.Equal(60, record.SizeBytes);
        Assert.Equal(9, record.AlignmentMs);
        Assert.Equal(5000, record.DurationMs);
        Assert.Equal(1, record.Attempt);
        Assert.Equal(["p-0.0", "p-1.0", "p-1.1"], record.Tasks.Select(t => t.PersistenceId).Order(StringComparer.Ordinal));
        // Until the store made it durable it is still pending: no second checkpoint starts.
        Assert.True(pending.Persisting);
        Assert.False(c.CanTrigger);
        Assert.Null(c.TryTrigger());

        Assert.Same(pending, c.OnCompleted(record));
        Assert.Null(c.Pending);
        Assert.Same(record, c.LastCompleted);
        Assert.Same(record, c.Completed.Latest);
        Assert.Equal(2, c.TryTrigger()?.Id);
    }

    [Fact]
    public void A_checkpoint_missing_an_ack_times_out_is_recorded_failed_and_the_next_one_proceeds()
    {
        var c = Periodic();
        c.TryTrigger();
        c.Acknowledge(Ack(Source, 1), TaskCount);
        c.Acknowledge(Ack(Map0, 1), TaskCount);
        _time.Advance(TimeSpan.FromMinutes(2));

        var failure = c.Expire(1);
        Assert.IsType<TimeoutException>(failure);
        Assert.Contains("checkpoint 1 expired after 120 s", failure.Message, StringComparison.Ordinal);
        var failed = c.Abort("checkpoint 1 expired");
        Assert.NotNull(failed);
        Assert.Equal(1, failed.Id);
        Assert.Equal(CheckpointStatus.Failed, failed.Status);
        Assert.Equal("checkpoint 1 expired", failed.FailureCause);
        Assert.Equal(Start.UtcDateTime.AddMinutes(2), failed.CompletedAt);
        Assert.Null(c.Pending);
        Assert.Null(c.LastCompleted);

        // The missing ack arriving late belongs to an aborted checkpoint; the next checkpoint completes on its own acks.
        var next = c.TryTrigger();
        Assert.Equal(2, next?.Id);
        Assert.Null(c.Acknowledge(Ack(Map1, 1), TaskCount));
        Assert.Empty(next!.Acks);
        c.Acknowledge(Ack(Source, 2), TaskCount);
        c.Acknowledge(Ack(Map0, 2), TaskCount);
        Assert.Equal(2, c.Acknowledge(Ack(Map1, 2), TaskCount)?.Id);
    }

    [Fact]
    public void The_timeout_of_a_checkpoint_no_longer_pending_is_ignored()
    {
        var c = Periodic();
        Complete(c);
        Assert.Null(c.Expire(1));
        c.TryTrigger();
        Assert.Null(c.Expire(1));
        Assert.Equal(2, c.Pending?.Id);
        Assert.NotNull(c.Expire(2));
    }

    [Fact]
    public void Acks_for_unknown_or_old_checkpoints_are_ignored_and_a_repeated_ack_counts_once()
    {
        var c = Periodic();
        Complete(c);
        var pending = c.TryTrigger()!;

        Assert.Null(c.Acknowledge(Ack(Source, 1), TaskCount));
        Assert.Null(c.Acknowledge(Ack(Map0, 7), TaskCount));
        Assert.Empty(pending.Acks);

        Assert.Null(c.Acknowledge(Ack(Source, 2), TaskCount));
        Assert.Null(c.Acknowledge(Ack(Source, 2), TaskCount));
        Assert.Null(c.Acknowledge(Ack(Map0, 2), TaskCount));
        Assert.Equal(2, pending.Acks.Count);
        Assert.NotNull(c.Acknowledge(Ack(Map1, 2), TaskCount));
    }

    [Fact]
    public void Acks_from_a_previous_attempt_are_ignored()
    {
        var c = Periodic();
        c.TryTrigger();
        c.Acknowledge(Ack(Source, 1, attempt: 1), TaskCount);
        Assert.Equal(1, c.Abort("the job failed")?.Attempt);
        c.StartAttempt(2);

        var pending = c.TryTrigger()!;
        foreach (var task in new[] { Source, Map0, Map1 })
            Assert.Null(c.Acknowledge(Ack(task, pending.Id, attempt: 1), TaskCount));
        Assert.Empty(pending.Acks);
        Assert.Null(c.Decline(new DeclineCheckpoint(Source, 1, pending.Id, new IOException("old")), "source"));

        c.Acknowledge(Ack(Source, pending.Id, attempt: 2), TaskCount);
        c.Acknowledge(Ack(Map0, pending.Id, attempt: 2), TaskCount);
        var record = c.Acknowledge(Ack(Map1, pending.Id, attempt: 2), TaskCount);
        Assert.Equal(2, record?.Attempt);
    }

    [Fact]
    public void Acks_after_every_task_acknowledged_are_ignored()
    {
        var c = Periodic();
        var pending = c.TryTrigger()!;
        c.Acknowledge(Ack(Source, 1), TaskCount);
        c.Acknowledge(Ack(Map0, 1), TaskCount);
        Assert.NotNull(c.Acknowledge(Ack(Map1, 1), TaskCount));
        Assert.Null(c.Acknowledge(Ack(Map1, 1, size: 999), TaskCount));
        Assert.Equal(10, pending.Acks[Map1].State.SizeBytes);
    }

    [Fact]
    public void At_most_one_checkpoint_is_pending_at_a_time()
    {
        var c = Periodic();
        Assert.True(c.CanTrigger);
        Assert.Equal(1, c.TryTrigger()?.Id);
        Assert.False(c.CanTrigger);
        Assert.Null(c.TryTrigger());
        c.RequestSavepoint(new SavepointRequest("/tmp/sp", Stop: false, ActorRefs.Nobody));
        Assert.Null(c.TryTrigger());
        Assert.Equal(1, c.LastId);
        Assert.Equal(1, c.Pending?.Id);
    }

    [Fact]
    public void A_declined_checkpoint_fails_the_attempt_with_the_task_and_cause_named()
    {
        var c = Periodic();
        c.TryTrigger();
        var cause = new IOException("disk full");
        Assert.Null(c.Decline(new DeclineCheckpoint(Map0, 1, 5, cause), "map (1/2)"));

        var failure = c.Decline(new DeclineCheckpoint(Map0, 1, 1, cause), "map (1/2)");
        Assert.NotNull(failure);
        Assert.Equal("checkpoint 1 was declined by task map (1/2): disk full", failure.Message);
        Assert.Same(cause, failure.InnerException);
    }

    [Fact]
    public void A_requested_savepoint_goes_before_the_next_checkpoint_and_does_not_wait_for_the_min_pause()
    {
        var c = Periodic(minPause: TimeSpan.FromMinutes(1));
        Complete(c);
        Assert.Null(c.TryTrigger());

        var request = new SavepointRequest("/tmp/savepoints", Stop: true, ActorRefs.Nobody);
        c.RequestSavepoint(request);
        Assert.True(c.HasSavepointRequest);
        var savepoint = c.TryTrigger();
        Assert.NotNull(savepoint);
        Assert.True(savepoint.IsSavepoint);
        Assert.Same(request, savepoint.Savepoint);
        Assert.False(c.HasSavepointRequest);

        c.Acknowledge(Ack(Source, 2), TaskCount);
        c.Acknowledge(Ack(Map0, 2), TaskCount);
        var record = c.Acknowledge(Ack(Map1, 2), TaskCount)!;
        Assert.Same(request, c.OnCompleted(record)?.Savepoint);

        // A plain checkpoint again, once the pause after the savepoint passed.
        Assert.Null(c.TryTrigger());
        _time.Advance(TimeSpan.FromMinutes(1));
        var next = c.TryTrigger();
        Assert.NotNull(next);
        Assert.False(next.IsSavepoint);
        Assert.Null(next.Savepoint);
    }

    [Fact]
    public void Without_checkpoint_options_only_savepoints_are_triggered()
    {
        var c = Coordinator(options: null);
        Assert.Null(c.TryTrigger());
        Assert.Equal(TimeSpan.FromMinutes(2), c.Timeout);
        c.RequestSavepoint(new SavepointRequest("/tmp/sp", Stop: false, null));
        Assert.True(c.TryTrigger()?.IsSavepoint);
    }

    [Fact]
    public void An_aborted_savepoint_is_requested_again_and_triggered_under_a_new_id()
    {
        var c = Periodic();
        var request = new SavepointRequest("/tmp/sp", Stop: false, ActorRefs.Nobody);
        c.RequestSavepoint(request);
        Assert.Equal(1, c.TryTrigger()?.Id);
        Assert.Equal(CheckpointStatus.Failed, c.Abort("the job failed")?.Status);

        Assert.True(c.HasSavepointRequest);
        var again = c.TryTrigger();
        Assert.Equal(2, again?.Id);
        Assert.Same(request, again?.Savepoint);
    }

    [Fact]
    public void The_min_pause_counts_from_the_completion_of_the_last_checkpoint()
    {
        var c = Periodic(minPause: TimeSpan.FromSeconds(10));
        c.TryTrigger();
        _time.Advance(TimeSpan.FromSeconds(3));
        foreach (var task in new[] { Source, Map0 }) c.Acknowledge(Ack(task, 1), TaskCount);
        c.OnCompleted(c.Acknowledge(Ack(Map1, 1), TaskCount)!);

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Null(c.TryTrigger());
        Assert.True(c.CanTrigger);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(2, c.TryTrigger()?.Id);
    }

    [Fact]
    public void Aborting_a_checkpoint_whose_record_is_on_its_way_to_the_store_records_no_failure()
    {
        var c = Periodic();
        c.TryTrigger();
        foreach (var task in new[] { Source, Map0, Map1 }) c.Acknowledge(Ack(task, 1), TaskCount);
        Assert.Null(c.Abort("the job failed"));
        Assert.Null(c.Pending);
        Assert.Null(c.Abort("again"));
    }

    [Fact]
    public void A_finished_task_aborts_the_pending_checkpoint_rejects_the_savepoint_and_stops_triggers_for_the_attempt()
    {
        var c = Periodic();
        c.TryTrigger();
        c.Acknowledge(Ack(Source, 1), TaskCount);
        var request = new SavepointRequest("/tmp/sp", Stop: false, ActorRefs.Nobody);
        c.RequestSavepoint(request);

        var outcome = c.OnTaskFinished("source");
        Assert.True(outcome.AbortedPending);
        Assert.Equal(1, outcome.FailedRecord?.Id);
        Assert.Equal("task source finished before the checkpoint completed", outcome.FailedRecord?.FailureCause);
        Assert.Same(request, outcome.RejectedSavepoint);
        Assert.False(c.HasSavepointRequest);
        Assert.False(c.CanTrigger);
        Assert.Null(c.TryTrigger());

        // A second task finishing has nothing left to abort.
        Assert.Equal(new TaskFinishedOutcome(false, null, null), c.OnTaskFinished("map"));

        c.StartAttempt(2);
        Assert.Equal(2, c.TryTrigger()?.Id);
    }

    [Fact]
    public void A_finished_task_leaves_a_checkpoint_whose_record_is_being_persisted()
    {
        var c = Periodic();
        var pending = c.TryTrigger()!;
        foreach (var task in new[] { Source, Map0, Map1 }) c.Acknowledge(Ack(task, 1), TaskCount);
        var outcome = c.OnTaskFinished("source");
        Assert.False(outcome.AbortedPending);
        Assert.Same(pending, c.Pending);
    }

    [Fact]
    public void The_final_checkpoint_takes_an_id_above_every_id_used_and_holds_the_tasks_final_states()
    {
        var c = Periodic();
        Complete(c);
        c.OnTaskFinished("source");
        // The tasks write their final states themselves and acknowledge with their handles.
        static AcknowledgeCheckpoint FinalAck(TaskId task, long id, string pid, long size) =>
            new(task, 1, id, new TaskStateRef { VertexUid = pid[2..], PersistenceId = pid, SizeBytes = size }, 0, 0, null);
        var final = c.BeginFinalCheckpoint(minId: 0);
        Assert.Equal(2, final.Id);
        Assert.True(final.Persisting);
        Assert.Null(c.Abort("persisting: no failed record"));

        final = c.BeginFinalCheckpoint(minId: 10);
        Assert.Equal(10, final.Id);
        Assert.Null(c.Acknowledge(FinalAck(Source, 2, "p-src", 3), 2)); // an ack of the abandoned final checkpoint
        Assert.Null(c.Acknowledge(FinalAck(Source, 10, "p-src", 3), 2));
        var record = c.Acknowledge(FinalAck(Map0, 10, "p-map", 4), 2);
        Assert.NotNull(record);
        Assert.True(record.IsFinal);
        Assert.Equal(CheckpointStatus.Completed, record.Status);
        Assert.Equal(7, record.SizeBytes);
        Assert.Equal(["p-src", "p-map"], record.Tasks.Select(t => t.PersistenceId));
        Assert.Null(c.Pending);

        // Durable: it is the checkpoint to restore, and there is no regular pending checkpoint to notify.
        Assert.Null(c.OnCompleted(record));
        Assert.Same(record, c.LastCompleted);
    }

    [Fact]
    public void Recovery_continues_ids_after_the_history_and_restores_the_latest_completed_checkpoint()
    {
        var c = Periodic();
        var history = new[]
        {
            new CheckpointRecord { Id = 4, Status = CheckpointStatus.Completed },
            new CheckpointRecord { Id = 5, Status = CheckpointStatus.Completed },
            new CheckpointRecord { Id = 6, Status = CheckpointStatus.Failed },
        };
        Assert.Same(history[1], c.Recover(history));
        Assert.Equal(6, c.LastId);
        Assert.Equal([4, 5], c.Completed.Retained.Select(r => r.Id));
        Assert.Equal(7, c.TryTrigger()?.Id);

        var fromSavepoint = Periodic();
        fromSavepoint.RestoredFromSavepoint(41);
        Assert.Null(fromSavepoint.LastCompleted);
        Assert.Equal(42, fromSavepoint.TryTrigger()?.Id);
    }

    [Fact]
    public void Only_the_retained_checkpoints_are_fallen_back_to_when_the_latest_cannot_be_loaded()
    {
        var c = Periodic(retained: 2);
        var first = Complete(c);
        var second = Complete(c);
        var third = Complete(c);
        Assert.Equal(2, c.Completed.MaxRetained);
        Assert.Equal([second.Id, third.Id], c.Completed.Retained.Select(r => r.Id));
        Assert.DoesNotContain(first, c.Completed.Retained);

        Assert.Same(second, c.FallBackFrom(third));
        Assert.Same(second, c.LastCompleted);
        // The first one's snapshots were deleted when the third completed.
        Assert.Null(c.FallBackFrom(second));
        Assert.Same(second, c.LastCompleted);
    }

    [Fact]
    public void The_completed_store_keeps_only_completed_checkpoints()
    {
        var store = new CompletedCheckpointStore(1);
        Assert.Throws<ArgumentException>(() => store.Add(new CheckpointRecord { Id = 1, Status = CheckpointStatus.Failed }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CompletedCheckpointStore(0));
        store.Add(new CheckpointRecord { Id = 1, Status = CheckpointStatus.Completed });
        store.Add(new CheckpointRecord { Id = 2, Status = CheckpointStatus.Completed });
        Assert.Equal(2, store.Latest?.Id);
        Assert.Single(store.Retained);
        Assert.Null(store.NewestBefore(2));
    }
}
