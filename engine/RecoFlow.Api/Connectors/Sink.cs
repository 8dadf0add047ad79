namespace RecoFlow.Api.Connectors;

/// <summary>A destination for records (Flink: Sink). A description; <see cref="CreateWriter"/> runs once per sink subtask.</summary>
public interface ISink<in T>
{
    ISinkWriter<T> CreateWriter(SinkContext context);
    string Describe();
}

public sealed record SinkContext(int SubtaskIndex, int Parallelism, string OperatorId, IReadOnlyDictionary<string, string> JobParameters, string? StateDirectory)
{
    /// <summary>
    /// True when the job runs with checkpoints: a sink that can should then write transactionally (pre-commit on the
    /// barrier, commit when the checkpoint completes), so that readers of its committed output see every record once.
    /// </summary>
    public bool CheckpointingEnabled { get; init; }

    /// <summary>Where the sink reports records it gives up on (the job's dead letters); null outside a running job.</summary>
    public Operators.IDeadLetterOutput? DeadLetters { get; init; }
}

/// <summary>Writes the records of one sink subtask. Called by one thread at a time.</summary>
public interface ISinkWriter<in T> : IDisposable
{
    void Write(T value, long timestamp);

    /// <summary>Makes written records durable (at a checkpoint, or with <paramref name="endOfInput"/> when the input ended).</summary>
    void Flush(bool endOfInput);
}

/// <summary>
/// A sink writer with two-phase commit (Flink: TwoPhaseCommittingSink): on a checkpoint barrier it pre-commits what
/// was written since the last barrier into a transaction named by the checkpoint; when the checkpoint completes the
/// transaction is committed. Commits must be idempotent: after a restart, the runtime commits again the transactions
/// of the last completed checkpoint and aborts the rest.
/// </summary>
public interface ITwoPhaseCommitSinkWriter<in T> : ISinkWriter<T>
{
    /// <summary>Pre-commits the records since the previous barrier; returns a handle stored in the checkpoint.</summary>
    byte[] PrepareCommit(long checkpointId);

    /// <summary>Commits the transactions of completed checkpoints up to and including <paramref name="checkpointId"/>.</summary>
    void Commit(long checkpointId, IReadOnlyList<byte[]> handles);

    /// <summary>Restores after failure: commit <paramref name="committable"/> (from the last completed checkpoint) and abort everything else in flight.</summary>
    void Recover(IReadOnlyList<byte[]> committable);
}
