using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// One task's incremental chain on the writing side: the rows it wrote since its last full one (Flink's changelog
/// backend materialises periodically for the same reason). It says whether the next checkpoint may be a delta over the
/// last row, and what the handle of a row lists: the earlier rows a restore reads (kept by retention) and their size.
/// A full row comes first, then at most <c>fullEvery - 1</c> deltas, and a full one as soon as the deltas written
/// outgrow the full row, so a restore reads at most about twice the state. That full row is materialised from the
/// chain off the task's thread, so the task pauses for a delta only. Runs on the task's thread.
/// The state a row restores (<see cref="TaskStateRef.FullSizeBytes"/>) is the keyed and operator state bytes of the
/// rows before it in its chain plus its own row: an upper bound, as an entry overwritten later counts in each delta
/// that wrote it, and an operator state patched later counts in the row it was whole in.
/// </summary>
internal sealed class IncrementalChainTracker
{
    private readonly List<(long Id, long Bytes, long KeyedBytes)> _rows = [];

    /// <summary>The rows of the current chain that are written, the full one first: their size and that of their keyed state.</summary>
    public IReadOnlyList<(long Id, long Bytes, long KeyedBytes)> Rows => _rows;

    /// <summary>Forgets the chain: the next checkpoint is full (after a deployment, or when a write failed).</summary>
    public void Reset() => _rows.Clear();

    /// <summary>
    /// Goes on with the chain of a row restored from (<paramref name="checkpointId"/>, written by this task in an earlier
    /// deployment): the rows its handle lists, then it. Their sizes are not all known: the chain's state
    /// (<see cref="TaskStateRef.FullSizeBytes"/> less the row) counts as its full row, the row as the last delta.
    /// </summary>
    public void Continue(long checkpointId, TaskStateRef row)
    {
        ArgumentNullException.ThrowIfNull(row);
        _rows.Clear();
        if (row.Chain is not { Count: > 0 } chain)
        {
            _rows.Add((checkpointId, row.SizeBytes, row.SizeBytes));
            return;
        }
        var before = Math.Max(0, row.RestoreSizeBytes - row.SizeBytes);
        _rows.Add((chain[0], before, before));
        foreach (var id in chain.Skip(1)) _rows.Add((id, 0, 0));
        _rows.Add((checkpointId, row.SizeBytes, row.SizeBytes));
    }

    /// <summary>The row the next checkpoint may build on (the chain's last), or null when it must be full.</summary>
    /// <param name="fullEvery">A full row at least every this many checkpoints; 1: every row is full.</param>
    public long? NextDeltaOf(int fullEvery) => fullEvery <= 1 || _rows.Count == 0 ? null : _rows[^1].Id;

    /// <summary>
    /// True when the next row closes the chain: it is the <paramref name="fullEvery"/>-th, or the deltas written
    /// outgrew the full row. The task then still takes only a delta, and the asynchronous part writes the row whole
    /// (<see cref="ChainMaterialisation"/>).
    /// </summary>
    public bool MaterialisationDue(int fullEvery)
    {
        if (_rows.Count == 0) return false;
        if (_rows.Count >= fullEvery) return true;
        long deltas = 0;
        for (var i = 1; i < _rows.Count; i++) deltas += _rows[i].Bytes;
        return deltas > _rows[0].Bytes;
    }

    /// <summary>Completes the handle of a row about to be written: the chain it builds on (when <paramref name="deltaOf"/> is set) and the state it restores.</summary>
    /// <param name="keyedBytes">The bytes of the row's keyed state (the rest is operator state and splits, whole in every row).</param>
    public TaskStateRef Handle(TaskStateRef task, long? deltaOf, long keyedBytes)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (deltaOf is null || _rows.Count == 0 || _rows[^1].Id != deltaOf)
        {
            if (deltaOf is not null) throw new InvalidOperationException($"a row building on checkpoint {deltaOf} while the chain ends at {(_rows.Count == 0 ? "nothing" : _rows[^1].Id)}");
            task.Chain = null;
            task.FullSizeBytes = task.SizeBytes;
            return task;
        }
        task.Chain = _rows.Select(r => r.Id).ToList();
        task.FullSizeBytes = _rows.Sum(r => r.KeyedBytes) + task.SizeBytes;
        return task;
    }

    /// <summary>Row <paramref name="checkpointId"/> is written, with handle <paramref name="state"/> and <paramref name="keyedBytes"/> of keyed state.</summary>
    public void Written(long checkpointId, TaskStateRef state, long keyedBytes)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Chain is not { Count: > 0 } chain) _rows.Clear();
        else if (_rows.Count == 0 || _rows[^1].Id != chain[^1])
        {
            // Out of step (cannot happen while one write is in flight at a time): start over with a full row.
            _rows.Clear();
            return;
        }
        _rows.Add((checkpointId, state.SizeBytes, Math.Min(keyedBytes, state.SizeBytes)));
    }
}
