using Akka.Actor;
using RecoFlow.Api.Connectors;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Execution;

/// <summary>Identifies one task: a vertex and a subtask index.</summary>
public readonly record struct TaskId(int Vertex, int Subtask)
{
    public override string ToString() => $"{Vertex}.{Subtask}";
}

/// <summary>The state a task starts from: per operator id, its merged snapshot, and the source splits.</summary>
internal sealed record TaskRestore(long CheckpointId, IReadOnlyDictionary<string, OperatorSnapshot> Operators, IReadOnlyList<SourceSplit>? Splits, IReadOnlyDictionary<string, long>? SplitWatermarks = null);

/// <summary>What a task needs to take part in checkpoints; null when the job runs without them.</summary>
/// <param name="PersistenceId">Where its rows go in the checkpoint store.</param>
/// <param name="FullEvery">Incremental checkpoints: a full snapshot at least every this many checkpoints; 1 = every checkpoint is full.</param>
internal sealed record TaskCheckpointing(string PersistenceId, int FullEvery = 1);

/// <summary>
/// Wires a task: where each of its writers' channels go, where its input channels come from, what to read, what to
/// restore: <see cref="Restore"/> itself for a task beside its job master, <see cref="RestoreHandles"/> (read by the
/// task) for one away from it, so that no state travels in a remote message. <see cref="RestoredRow"/>: the task's own
/// row in the checkpoint it restores (<see cref="RestoreSource.OwnRow"/>), on which its next checkpoint may build.
/// </summary>
internal sealed record DeployTask(
    int Attempt,
    IReadOnlyList<IReadOnlyList<ChannelTarget>> WriterTargets,
    IReadOnlyList<ChannelSource> Inputs,
    TaskRestore? Restore,
    TaskCheckpointing? Checkpointing,
    TaskRestoreHandles? RestoreHandles = null,
    TaskStateRef? RestoredRow = null);

internal sealed record TaskReady(TaskId Task);

internal sealed record StartTask;

/// <summary>
/// The task's input ended. With checkpointing it has kept its state after the end for the job's final checkpoint, and
/// <see cref="FinalCheckpointId"/> is its own count for it (the final checkpoint's id is at least that): the job
/// master triggers the final checkpoint with <see cref="TriggerFinalCheckpoint"/> once every task finished.
/// </summary>
internal sealed record TaskFinished(TaskId Task, int Attempt, long FinalCheckpointId);

/// <summary>
/// Every task finished: write the state kept at the end of input as final checkpoint <see cref="Id"/> (one id for all
/// tasks, which no task knows alone) and acknowledge with its handle (Flink: the final checkpoint of finished tasks, FLIP-147).
/// </summary>
internal sealed record TriggerFinalCheckpoint(long Id, int Attempt);

internal sealed record TaskFailed(TaskId Task, Exception Cause);

internal sealed record PollSource
{
    public static readonly PollSource Instance = new();
}

internal sealed record ProcessingTimerFired(Action<long> Callback, long Due);

/// <summary>Asks the job master to cancel the job.</summary>
internal sealed record CancelJob;

/// <summary>
/// The coordinator asks a source task to start checkpoint <see cref="Id"/>: snapshot, then emit the barrier. For a
/// savepoint, <see cref="SavepointDirectory"/> is where every task writes its state (carried on in the barriers).
/// </summary>
internal sealed record TriggerCheckpoint(long Id, long Timestamp, bool IsSavepoint, int Attempt, string? SavepointDirectory = null, bool Drain = false);

/// <summary>
/// A task's state for checkpoint <see cref="Id"/> is durable (Flink: AcknowledgeCheckpoint with the task's state
/// handles): <see cref="State"/> is its handle in the checkpoint store (without checkpointing, a handle with no
/// persistence id that only gives the size), <see cref="Savepoint"/> its handle in the savepoint directory for a
/// savepoint. Handles only: the task wrote the bytes itself through its <see cref="ICheckpointStorage"/>.
/// </summary>
internal sealed record AcknowledgeCheckpoint(TaskId Task, int Attempt, long Id, TaskStateRef State, double AlignmentMs, double SyncMs, TaskStateRef? Savepoint);

/// <summary>A task could not take its part of checkpoint <see cref="Id"/>.</summary>
internal sealed record DeclineCheckpoint(TaskId Task, int Attempt, long Id, Exception Cause);

/// <summary>Checkpoint <see cref="Id"/> is complete: commit what was pre-committed for it. <see cref="Final"/>: the job's last checkpoint, answered with <see cref="CommitDone"/>.</summary>
internal sealed record NotifyCheckpointComplete(long Id, int Attempt, bool Final = false);

/// <summary>The task has committed after the final checkpoint.</summary>
internal sealed record CommitDone(TaskId Task, int Attempt);

/// <summary>Asks the job master for a savepoint (and optionally to stop the job after it).</summary>
internal sealed record TriggerSavepoint(string Directory, bool Stop, bool Drain = false);

internal sealed record SavepointDone(string Path);

internal sealed record SavepointFailed(string Reason);
