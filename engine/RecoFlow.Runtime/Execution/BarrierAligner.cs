namespace RecoFlow.Runtime.Execution;

/// <summary>What the task must do after the <see cref="BarrierAligner"/> saw a barrier or an ended channel.</summary>
[Flags]
internal enum AlignmentResult
{
    /// <summary>Nothing: the barrier was stale, or its channel is now blocked until the others deliver it.</summary>
    None = 0,

    /// <summary>The barrier arrived on every channel that has not ended: take checkpoint <see cref="BarrierAligner.LastCheckpointId"/> now.</summary>
    Aligned = 1,

    /// <summary>Held messages went back to the gate's queue (alignment completed or was aborted): the queue must be drained.</summary>
    Released = 2,
}

/// <summary>
/// Aligns checkpoint barriers over the input channels of one task (Flink: <c>SingleCheckpointBarrierHandler</c> with
/// aligned, exactly-once barriers). Barrier n on one channel blocks that channel in the <see cref="InputGate"/>, so no
/// record after the barrier reaches the state before the snapshot; once n arrived on every channel that has not ended,
/// the task takes the snapshot and the blocked channels are released. A barrier of a newer checkpoint while n is still
/// aligning means n was abandoned upstream: the alignment of n is aborted (blocked channels released) and the newer
/// one starts. Barriers of checkpoints this task already took, and barriers older than the one aligning (of a checkpoint
/// abandoned upstream), are dropped.
/// </summary>
/// <remarks>
/// No actor inside: time comes in as <see cref="System.Diagnostics.Stopwatch"/> ticks, and the caller performs the
/// snapshot and schedules the drain of released messages, as the <see cref="AlignmentResult"/> says.
/// </remarks>
internal sealed class BarrierAligner(InputGate gate)
{
    /// <summary>The checkpoint being aligned, or -1.</summary>
    public long AligningId { get; private set; } = -1;

    public bool IsAligning => AligningId >= 0;

    /// <summary>The last checkpoint this task took (aligned, triggered or restored); barriers up to it are stale.</summary>
    public long LastCheckpointId { get; private set; }

    /// <summary>Whether the current (or last completed) alignment is a savepoint's, as its first barrier said.</summary>
    public bool IsSavepoint { get; private set; }

    /// <summary>For a savepoint's alignment: the directory its first barrier named, where the task writes its state.</summary>
    public string? SavepointDirectory { get; private set; }

    /// <summary>When the current (or last completed) alignment started: the first barrier's arrival, in stopwatch ticks.</summary>
    public long StartTicks { get; private set; }

    /// <summary>The task took checkpoint <paramref name="id"/> without alignment (a source task, triggered by the coordinator) or starts from it (restore).</summary>
    public void CheckpointTaken(long id) => LastCheckpointId = id;

    /// <summary>Barrier <paramref name="checkpointId"/> arrived on <paramref name="channel"/> (which is not blocked: messages of blocked channels are held before they get here).</summary>
    public AlignmentResult OnBarrier(int channel, long checkpointId, bool isSavepoint, long nowTicks, string? savepointDirectory = null)
    {
        if (checkpointId <= LastCheckpointId) return AlignmentResult.None; // a barrier of a checkpoint this task already took (or abandoned)
        // An older barrier during a newer alignment belongs to a checkpoint abandoned upstream. Counting it for the newer
        // one would block its channel early: that channel's records up to its real barrier would land after the snapshot,
        // and the real barrier would then be dropped as stale. Flink's SingleCheckpointBarrierHandler ignores it too.
        if (IsAligning && checkpointId < AligningId) return AlignmentResult.None;
        var result = AlignmentResult.None;
        if (IsAligning && checkpointId > AligningId)
        {
            // A newer barrier while the older is not aligned: the older checkpoint was abandoned upstream; release and start over
            // (Flink: SingleCheckpointBarrierHandler aborts the pending checkpoint when a newer barrier arrives).
            AligningId = -1;
            if (gate.ResumeConsumption()) result |= AlignmentResult.Released;
        }
        if (!IsAligning)
        {
            AligningId = checkpointId;
            IsSavepoint = isSavepoint;
            SavepointDirectory = savepointDirectory;
            StartTicks = nowTicks;
        }
        gate.Block(channel);
        return result | CompleteIfReady();
    }

    /// <summary>A channel ended: the alignment in progress no longer waits for it.</summary>
    public AlignmentResult OnChannelEnded() => IsAligning ? CompleteIfReady() : AlignmentResult.None;

    /// <summary>When every channel that has not ended delivered the barrier: the checkpoint is due and the blocked channels are released.</summary>
    private AlignmentResult CompleteIfReady()
    {
        for (var i = 0; i < gate.ChannelCount; i++)
            if (!gate.IsBlocked(i) && !gate.IsEnded(i)) return AlignmentResult.None;
        LastCheckpointId = AligningId;
        AligningId = -1;
        // Releasing only moves held messages back to the queue; they are processed after the caller took the snapshot.
        return gate.ResumeConsumption() ? AlignmentResult.Aligned | AlignmentResult.Released : AlignmentResult.Aligned;
    }
}
