using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Incremental checkpoints on the reading side: a task's row that builds on earlier rows of the same task
/// (<see cref="TaskStateSnapshot.DeltaOf"/>) is read with them and turned into one snapshot that restores like a full
/// one. Per operator, the keyed state is the full snapshot of the chain followed by the deltas after it; the key
/// groups are applied in that order on restore (<see cref="KeyedStateBackend{TKey}.Restore"/>), so rescaling by
/// key group works unchanged. Splits come from the newest row. Operator state is in every row, each state whole or as a
/// patch of the same state in the row before (<see cref="OperatorStateSnapshot.Patches"/>): the patches are applied in
/// chain order, so the result holds every state whole, as a full row does.
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
                Operator = FlattenOperatorState(chain.Select(c => c.Operators.GetValueOrDefault(opId)?.Operator)),
                Keyed = FlattenKeyed(chain.Select(c => c.Operators.GetValueOrDefault(opId)?.Keyed)),
            };
        return result;
    }

    /// <summary>One operator snapshot from a chain of an operator's snapshots, oldest (a full one) first.</summary>
    public static OperatorSnapshot Flatten(IReadOnlyList<OperatorSnapshot> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0) throw new ArgumentException("an empty chain", nameof(chain));
        return new OperatorSnapshot { Operator = FlattenOperatorState(chain.Select(c => c.Operator)), Keyed = FlattenKeyed(chain.Select(c => c.Keyed)) };
    }

    /// <summary>The operator state of the newest row with its patches applied, in chain order, to the states of the rows before.</summary>
    private static OperatorStateSnapshot? FlattenOperatorState(IEnumerable<OperatorStateSnapshot?> chain)
    {
        OperatorStateSnapshot? current = null;
        foreach (var row in chain)
        {
            if (row is null || !row.HasPatches)
            {
                current = row;
                continue;
            }
            var next = new OperatorStateSnapshot();
            foreach (var (name, parts) in row.States) next.States[name] = parts;
            foreach (var (name, patch) in row.Patches!)
            {
                if (current is null || !current.States.TryGetValue(name, out var parts) || parts.Count != 1)
                    throw new InvalidDataException($"operator state '{name}' is a patch of a state the row before does not hold whole");
                next.States[name] = [patch.Apply(parts[0])];
            }
            current = next;
        }
        return current;
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
