using System.Diagnostics;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors;

/// <summary>
/// Replays another source at a fixed rate (records per second over all subtasks), for demos, latency measurements and
/// paced backfills. Reads happen in whole polls: a poll waits until a full poll's worth of budget is there, so the
/// batches (and the watermarks after them) fall where they would without the limit.
/// </summary>
public sealed class RateLimitedSource<T> : ISource<T>
{
    private readonly ISource<T> _inner;
    private readonly double _recordsPerSecond;

    public RateLimitedSource(ISource<T> inner, double recordsPerSecond)
    {
        if (recordsPerSecond <= 0) throw new ArgumentOutOfRangeException(nameof(recordsPerSecond), "the rate must be positive");
        _inner = inner;
        _recordsPerSecond = recordsPerSecond;
    }

    public Boundedness Boundedness => _inner.Boundedness;
    public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) => _inner.CreateSplits(context);
    public ISourceReader<T> CreateReader(SourceContext context) => new Reader(_inner.CreateReader(context), _recordsPerSecond / context.Parallelism);
    public string Describe() => $"{_inner.Describe()} at {_recordsPerSecond:N0} records/s";

    private sealed class Reader(ISourceReader<T> inner, double rate) : ISourceReader<T>
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private long _read;

        public void AddSplits(IReadOnlyList<SourceSplit> splits) => inner.AddSplits(splits);

        public PollStatus Poll(ISourceOutput<T> output, int maxRecords)
        {
            var allowed = Stopwatch.GetElapsedTime(_start).TotalSeconds * rate - _read;
            if (allowed < maxRecords) return PollStatus.NothingAvailable;
            var counting = new Counting(output);
            var status = inner.Poll(counting, maxRecords);
            _read += counting.Count;
            return status;
        }

        public IReadOnlyList<SourceSplit> SnapshotSplits() => inner.SnapshotSplits();
        public IReadOnlyList<SourceSplit> SnapshotSplits(long checkpointId) => inner.SnapshotSplits(checkpointId);
        public void NotifyCheckpointComplete(long checkpointId) => inner.NotifyCheckpointComplete(checkpointId);
        public void Dispose() => inner.Dispose();
    }

    private sealed class Counting(ISourceOutput<T> output) : ISourceOutput<T>
    {
        public long Count;

        public void Collect(string splitId, T value, long timestamp)
        {
            Count++;
            output.Collect(splitId, value, timestamp);
        }

        public void SplitFinished(string splitId) => output.SplitFinished(splitId);
    }
}
