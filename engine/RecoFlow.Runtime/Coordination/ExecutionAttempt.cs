using Akka.Actor;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Runtime.Coordination;

/// <summary>
/// One attempt of a job (Flink: the executions of one ExecutionGraph attempt): its tasks, those hosted elsewhere and
/// still to be placed, and how far they got (ready, finished, committed after the final checkpoint). A restart makes
/// a new attempt; messages that name an older attempt number are discarded by the job master.
/// </summary>
internal sealed class ExecutionAttempt
{
    private readonly HashSet<TaskId> _committed = [];
    private int _ready;

    public ExecutionAttempt(int number) => Number = number;

    public int Number { get; }

    /// <summary>When the attempt began (restore read, deployment started), for its <c>job.deploy</c> span.</summary>
    public DateTime StartedAt { get; } = DateTime.UtcNow;

    /// <summary>The checkpoint or savepoint the attempt restores; null when it starts empty.</summary>
    public long? RestoredFrom { get; init; }

    /// <summary>The task actors of the attempt, local and remote (once placed).</summary>
    public Dictionary<TaskId, IActorRef> Tasks { get; } = [];

    /// <summary>Tasks hosted elsewhere (<see cref="ITaskPlacement"/>).</summary>
    public HashSet<TaskId> Remote { get; } = [];

    /// <summary>Remote tasks that have not reported in yet.</summary>
    public int ToPlace { get; set; }

    /// <summary>What the attempt restores, kept while its remote tasks are being placed.</summary>
    public Dictionary<TaskId, TaskRestore>? Restore { get; set; }

    /// <summary>Where <see cref="Restore"/> was read from: remote tasks get its handles instead of their state.</summary>
    public RestoreSource? RestoreSource { get; set; }

    public Dictionary<TaskId, TaskFinished> Finished { get; } = [];

    /// <summary>The tasks were told that the final checkpoint completed; their <see cref="CommitDone"/> now count.</summary>
    public bool FinalNotified { get; set; }

    public bool IsCurrent(IActorRef sender, TaskId task) => Tasks.TryGetValue(task, out var t) && t.Equals(sender);

    /// <summary>A task is deployed; true when it was the last one (the attempt can start).</summary>
    public bool OnReady() => ++_ready == Tasks.Count;

    /// <summary>A task's input ended; true when every task has finished.</summary>
    public bool OnFinished(TaskFinished finished)
    {
        Finished[finished.Task] = finished;
        return Finished.Count >= Tasks.Count;
    }

    /// <summary>A task committed after the final checkpoint; true when every task has.</summary>
    public bool OnCommitted(TaskId task)
    {
        _committed.Add(task);
        return _committed.Count == Tasks.Count;
    }
}
