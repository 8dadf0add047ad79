using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Coordination;

/// <summary>
/// The completed checkpoints a job can still restore from (Flink: CompletedCheckpointStore with
/// maxNumberOfRetainedCheckpoints). The durable copy, and the deletion of the snapshots of older checkpoints, are the
/// <see cref="CheckpointStoreActor"/>'s; this mirrors which checkpoints it keeps, so that the coordinator knows where
/// it may fall back to when the latest one cannot be loaded.
/// </summary>
internal sealed class CompletedCheckpointStore
{
    private readonly List<CheckpointRecord> _retained = [];

    public CompletedCheckpointStore(int maxRetained)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRetained, 1);
        MaxRetained = maxRetained;
    }

    public int MaxRetained { get; }

    /// <summary>The retained checkpoints, oldest first.</summary>
    public IReadOnlyList<CheckpointRecord> Retained => _retained;

    public CheckpointRecord? Latest => _retained.Count == 0 ? null : _retained[^1];

    /// <summary>Adds a completed checkpoint; the oldest drops out once more than <see cref="MaxRetained"/> are kept.</summary>
    public void Add(CheckpointRecord record)
    {
        if (record.Status != CheckpointStatus.Completed) throw new ArgumentException($"checkpoint {record.Id} did not complete", nameof(record));
        _retained.Add(record);
        if (_retained.Count > MaxRetained) _retained.RemoveAt(0);
    }

    /// <summary>The newest retained checkpoint older than <paramref name="id"/> (its snapshots are still in the store), or null.</summary>
    public CheckpointRecord? NewestBefore(long id) => _retained.LastOrDefault(r => r.Id < id);
}
