namespace RecoFlow.Api.Operators;

/// <summary>
/// Implemented by operators (and functions) that act when a checkpoint completes (Flink: CheckpointListener), such as
/// sinks that commit the transactions they pre-committed at the checkpoint's barrier.
/// </summary>
public interface ICheckpointListener
{
    /// <summary>
    /// Checkpoint <paramref name="checkpointId"/> is complete and durable. Called at most once per checkpoint, in order,
    /// but not necessarily for every checkpoint: a later notification covers earlier ones.
    /// </summary>
    void NotifyCheckpointComplete(long checkpointId);
}
