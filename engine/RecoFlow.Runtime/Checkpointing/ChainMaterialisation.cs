using RecoFlow.Runtime.State;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Materialises an incremental chain off the task's thread (Flink: the changelog backend's periodic materialisation):
/// the rows a task already wrote, read back as one snapshot, plus the delta the task just took, become one
/// self-contained row. The task pauses only for the delta; the whole state is read, merged and encoded in the
/// asynchronous part of the checkpoint (<see cref="KeyedStateCompaction"/>).
/// </summary>
public static class ChainMaterialisation
{
    /// <summary>
    /// The full row for checkpoint <paramref name="delta"/>: <paramref name="chainBase"/> (the chain up to the row
    /// <paramref name="delta"/> builds on, read back and flattened) with <paramref name="delta"/> applied, each
    /// operator's keyed state compacted to one full snapshot per key group.
    /// </summary>
    public static TaskStateSnapshot Materialise(TaskStateSnapshot chainBase, TaskStateSnapshot delta)
    {
        ArgumentNullException.ThrowIfNull(chainBase);
        ArgumentNullException.ThrowIfNull(delta);
        if (chainBase.DeltaOf is not null) throw new ArgumentException("the base of a materialisation must be flattened (self-contained)", nameof(chainBase));
        if (delta.DeltaOf is null) return delta;
        if (chainBase.CheckpointId != delta.DeltaOf)
            throw new InvalidDataException($"checkpoint {delta.CheckpointId} builds on checkpoint {delta.DeltaOf}, but the chain read back ends at {chainBase.CheckpointId}");
        var flat = IncrementalChain.Flatten([chainBase, delta]);
        foreach (var (opId, op) in flat.Operators)
        {
            if (op.Keyed is null) continue;
            op.Keyed = KeyedStateCompaction.Compact(op.Keyed, delta.Operators[opId].Keyed?.Expiry);
        }
        flat.DeltaOf = null;
        return flat;
    }
}
