using MessagePack;

namespace RecoFlow.Api.Connectors;

public enum Boundedness
{
    /// <summary>The source ends (a file, a collection, a Kafka topic read up to fixed end offsets).</summary>
    Bounded,
    /// <summary>The source never ends on its own.</summary>
    Unbounded,
}

/// <summary>
/// A unit of source work with its position (Flink: SourceSplit): a file with a line offset, a Kafka partition with
/// an offset. Splits are what checkpoints record for sources, so <see cref="Position"/> must identify exactly where
/// reading resumes.
/// </summary>
[MessagePackObject]
public sealed record SourceSplit(
    [property: Key(0)] string SplitId,
    [property: Key(1)] long Position,
    [property: Key(2)] string? Descriptor = null);

/// <summary>
/// A source of records (Flink: Source). It is a description: <see cref="CreateSplits"/> runs once per job start
/// (not on restore, where splits come from the checkpoint), <see cref="CreateReader"/> once per source subtask.
/// </summary>
public interface ISource<T>
{
    Boundedness Boundedness { get; }

    /// <summary>The initial splits of a fresh run; the runtime spreads them over the source subtasks.</summary>
    IReadOnlyList<SourceSplit> CreateSplits(SourceContext context);

    /// <summary>A reader for one subtask; splits are added to it with <see cref="ISourceReader{T}.AddSplits"/>.</summary>
    ISourceReader<T> CreateReader(SourceContext context);

    /// <summary>One line for <c>Explain()</c>.</summary>
    string Describe();
}

/// <summary>Facts a source gets from the runtime.</summary>
public sealed record SourceContext(int SubtaskIndex, int Parallelism, IReadOnlyDictionary<string, string> JobParameters, Operators.IDeadLetterOutput DeadLetters);

public enum PollStatus
{
    /// <summary>More records may be read right away.</summary>
    MoreAvailable,
    /// <summary>Nothing to read now; poll again later.</summary>
    NothingAvailable,
    /// <summary>All splits of this reader are finished and the source is bounded.</summary>
    EndOfInput,
}

/// <summary>
/// Reads the splits of one source subtask (Flink: SourceReader). Called by one thread at a time. <see cref="Poll"/>
/// must not block for long: it reads what is at hand, up to <c>maxRecords</c>.
/// </summary>
public interface ISourceReader<T> : IDisposable
{
    void AddSplits(IReadOnlyList<SourceSplit> splits);

    /// <summary>Emits up to <paramref name="maxRecords"/> records through <paramref name="output"/>.</summary>
    PollStatus Poll(ISourceOutput<T> output, int maxRecords);

    /// <summary>The current position of every split this reader holds, finished ones included.</summary>
    IReadOnlyList<SourceSplit> SnapshotSplits();

    /// <summary>
    /// The positions for checkpoint <paramref name="checkpointId"/> (the runtime calls this one). Readers that commit
    /// offsets externally on <see cref="NotifyCheckpointComplete"/> keep the snapshot of each id until it completes.
    /// </summary>
    IReadOnlyList<SourceSplit> SnapshotSplits(long checkpointId) => SnapshotSplits();

    /// <summary>A checkpoint completed; a reader may commit offsets to an external system (for monitoring only).</summary>
    void NotifyCheckpointComplete(long checkpointId) { }
}

/// <summary>Where a reader emits; each split has its own watermark generator.</summary>
public interface ISourceOutput<in T>
{
    /// <summary>Emits a record of split <paramref name="splitId"/>; <paramref name="timestamp"/> is the source's own timestamp or <see cref="Time.Watermark.NoTimestamp"/>.</summary>
    void Collect(string splitId, T value, long timestamp);

    /// <summary>The split is finished: it no longer holds back the watermark.</summary>
    void SplitFinished(string splitId);
}
