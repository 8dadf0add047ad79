using RecoFlow.Runtime.Execution;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// What a task away from its job master restores from, as handles (Flink: the <c>JobManagerTaskRestore</c> of a
/// TaskDeploymentDescriptor, which carries state handles, never state): the task snapshots of checkpoint
/// <paramref name="CheckpointId"/> that hold state of the task's operators or splits of its vertex, read from the
/// savepoint directory <paramref name="SavepointDirectory"/> or, when that is null, from the checkpoint store. The task
/// reads them itself and takes its part (<c>RestorePlanner.PlanTask</c>), so a restore of any size fits in a
/// remote message (frames are limited to a few MiB).
/// </summary>
internal sealed record TaskRestoreHandles(long CheckpointId, string? SavepointDirectory, IReadOnlyList<TaskStateRef> Handles)
{
    /// <summary>The storage the handles point into, as the reading task sees it.</summary>
    public ICheckpointStorage Storage(Func<ICheckpointStorage> checkpointStore) =>
        SavepointDirectory is { } directory ? new SavepointLocation(directory) : checkpointStore();
}

/// <summary>
/// Where an attempt's restore was read from: the savepoint directory (null: the checkpoint store) and the handles of the
/// checkpoint's record, in the order of the snapshots read from them.
/// </summary>
internal sealed record RestoreSource(string? SavepointDirectory, IReadOnlyList<TaskStateRef> Handles, IReadOnlyList<TaskStateSnapshot> Snapshots)
{
    /// <summary>The handles vertex <paramref name="vertex"/>'s tasks need: snapshots with state of its operators, or of its own vertex (splits).</summary>
    public TaskRestoreHandles For(JobVertex vertex, long checkpointId)
    {
        var operators = vertex.Nodes.Select(n => n.OperatorId).ToHashSet(StringComparer.Ordinal);
        var handles = new List<TaskStateRef>();
        for (var i = 0; i < Snapshots.Count; i++)
            if (RestorePlanner.Contributes(vertex, operators, Snapshots[i])) handles.Add(Handles[i]);
        return new TaskRestoreHandles(checkpointId, SavepointDirectory, handles);
    }

    /// <summary>
    /// The row task <paramref name="subtask"/> of <paramref name="vertex"/> restores from when it is its own: a
    /// checkpoint in the store (not a savepoint) written by the same task at the same parallelism, so its state is that
    /// row's (and its chain's) and nothing else. Its incremental chain can go on from there. Null otherwise.
    /// </summary>
    public TaskStateRef? OwnRow(JobVertex vertex, int subtask, string persistenceId)
    {
        ArgumentNullException.ThrowIfNull(vertex);
        if (SavepointDirectory is not null) return null;
        var own = Handles.Where(h => h.VertexUid == vertex.Uid && h.Subtask == subtask && h.Parallelism == vertex.Parallelism
            && string.Equals(h.PersistenceId, persistenceId, StringComparison.Ordinal)).ToList();
        return own.Count == 1 ? own[0] : null;
    }
}
