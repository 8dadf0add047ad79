using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The offsets of each source snapshot, kept until its checkpoint completes (Flink: KafkaSourceReader's
/// offsetsToCommit, a map checkpoint id → offsets, committed in notifyCheckpointComplete). Committing them to the
/// consumer group is for monitoring and <see cref="KafkaStartMode.Committed"/> starts only; recovery uses the
/// checkpoint.
/// </summary>
internal sealed class KafkaOffsetCommits
{
    /// <summary>Snapshots kept (at most this many, oldest dropped).</summary>
    public const int MaxPending = 16;

    private readonly List<(long CheckpointId, List<TopicPartitionOffset> Offsets)> _pending = [];
    private long _lastCheckpointId;

    /// <summary>
    /// The id an id-less snapshot belongs to: the checkpoint after the highest id seen (snapshot or notification).
    /// Exact when checkpoint ids are consecutive and every checkpoint snapshots every reader once.
    /// </summary>
    public long NextCheckpointId => _lastCheckpointId + 1;

    /// <summary>Keeps <paramref name="offsets"/> as the snapshot of <paramref name="checkpointId"/>; a re-taken id replaces the old snapshot.</summary>
    public void Add(long checkpointId, List<TopicPartitionOffset> offsets)
    {
        _pending.RemoveAll(x => x.CheckpointId >= checkpointId);
        _pending.Add((checkpointId, offsets));
        if (_pending.Count > MaxPending) _pending.RemoveAt(0);
        _lastCheckpointId = Math.Max(_lastCheckpointId, checkpointId);
    }

    /// <summary>
    /// Checkpoint <paramref name="checkpointId"/> completed: returns the offsets of the latest snapshot taken for an id
    /// at or below it (null if none) and forgets that snapshot and older ones, never a later, still pending one.
    /// </summary>
    public List<TopicPartitionOffset>? Complete(long checkpointId)
    {
        _lastCheckpointId = Math.Max(_lastCheckpointId, checkpointId);
        var index = _pending.FindLastIndex(x => x.CheckpointId <= checkpointId);
        if (index < 0) return null;
        var offsets = _pending[index].Offsets;
        _pending.RemoveRange(0, index + 1);
        return offsets;
    }
}
