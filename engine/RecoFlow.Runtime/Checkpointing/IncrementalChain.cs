using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Incremental checkpoints on the reading side: a task's row that builds on earlier rows of the same task
/// (<see cref="TaskStateSnapshot.DeltaOf"/>) is read with them and turned into one snapshot that restores like a full
/// one. Per operator, the keyed state is the full snapshot of the chain followed by the deltas after it; the key
/// groups are applied in that order on restore (<see cref="HeapKeyedStateBackend{TKey}.Restore"/>), so rescaling by
/// key group works unchanged. Splits and operator state are whole in every row and come from the newest.
/// </summary>
public static class IncrementalChain
{
    /// <summary>The most rows a chain may have; more means a malformed chain (the writer materialises far sooner).</summary>
    public const int MaxLength = 10_000;

    /// <summary>One self-contained snapshot from a chain of rows, oldest (a full row) first.</summary>
    public static TaskStateSnapshot Flatten(IReadOnlyList<TaskStateSnapshot> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0) throw new ArgumentException("an empty chain", nameof(chain));
        var newest = chain[^1];
        if (chain.Count == 1 && newest.DeltaOf is null) return newest;
        var result = new TaskStateSnapshot
        {
            Version = newest.Version, CheckpointId = newest.CheckpointId, VertexUid = newest.VertexUid, Subtask = newest.Subtask,
            Parallelism = newest.Parallelism, Splits = newest.Splits, SplitWatermarks = newest.SplitWatermarks,
        };
        foreach (var (opId, op) in newest.Operators)
            result.Operators[opId] = new OperatorSnapshot
            {
                Operator = op.Operator,
                Keyed = FlattenKeyed(chain.Select(c => c.Operators.GetValueOrDefault(opId)?.Keyed)),
            };
        return result;
    }

    /// <summary>One operator snapshot from a chain of an operator's snapshots, oldest (a full one) first.</summary>
    public static OperatorSnapshot Flatten(IReadOnlyList<OperatorSnapshot> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0) throw new ArgumentException("an empty chain", nameof(chain));
        return new OperatorSnapshot { Operator = chain[^1].Operator, Keyed = FlattenKeyed(chain.Select(c => c.Keyed)) };
    }

    private static KeyedStateSnapshot? FlattenKeyed(IEnumerable<KeyedStateSnapshot?> chain)
    {
        List<KeyGroupSnapshot>? groups = null;
        foreach (var keyed in chain)
        {
            if (keyed is null) groups = null;
            else if (!keyed.IsIncremental || groups is null) groups = [.. keyed.KeyGroups];
            else groups.AddRange(keyed.KeyGroups);
        }
        return groups is null ? null : new KeyedStateSnapshot { KeyGroups = groups };
    }
}
