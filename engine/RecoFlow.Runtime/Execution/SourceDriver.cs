using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Time;

namespace RecoFlow.Runtime.Execution;

/// <summary>Untyped view of a source subtask for the task.</summary>
internal interface ISourceDriver : IDisposable
{
    PollStatus Poll(int maxRecords);
    IReadOnlyList<SourceSplit> SnapshotSplits(long checkpointId);
    void NotifyCheckpointComplete(long checkpointId);
    long RecordsOut { get; }

    /// <summary>The last watermark this source emitted.</summary>
    long CurrentWatermark { get; }
    /// <summary>True when every split is idle: downstream should not wait for this source's watermark.</summary>
    bool IsIdle { get; }

    /// <summary>The source ended: emit the watermark that closes every window.</summary>
    void EmitFinalWatermark();

    /// <summary>The watermark of each split, for the checkpoint.</summary>
    Dictionary<string, long> SnapshotWatermarks();

    /// <summary>
    /// Restores split watermarks from a checkpoint, so event time after recovery follows the same course as before the
    /// failure (records that were late stay late); the restored minimum is emitted before the first record.
    /// </summary>
    void RestoreWatermarks(IReadOnlyDictionary<string, long> watermarks);
}

/// <summary>
/// Drives one source reader: assigns timestamps, runs a watermark generator per split, and emits the minimum
/// watermark over active splits after every poll (Flink: SourceOperator + per-split WatermarkOutputMultiplexer).
/// A split that has produced nothing for the idle timeout leaves the minimum; when all are idle the source is idle.
/// </summary>
internal sealed class SourceDriver<T> : ISourceDriver, ISourceOutput<T>
{
    private readonly ISourceReader<T> _reader;
    private readonly WatermarkStrategy<T> _strategy;
    private readonly IOutput<T> _output;
    private readonly IClock _clock;
    private readonly Action<bool> _idleChanged;
    private readonly Dictionary<string, SplitState> _splits = new(StringComparer.Ordinal);
    private readonly long _idleTimeout;
    // The split of the previous record: readers emit runs of records of one split, so most records skip the lookup.
    private string? _lastSplitId;
    private SplitState? _lastSplit;
    private long _emittedWatermark = Watermark.NoTimestamp;
    private long _restoredWatermark = Watermark.NoTimestamp;
    private bool _idle;

    public SourceDriver(ISourceReader<T> reader, WatermarkStrategy<T> strategy, IOutput<T> output, IClock clock, Action<bool> idleChanged)
    {
        _reader = reader;
        _strategy = strategy;
        _output = output;
        _clock = clock;
        _idleChanged = idleChanged;
        _idleTimeout = strategy.IdleTimeout is { } t ? (long)t.TotalMilliseconds : long.MaxValue;
    }

    public long RecordsOut { get; private set; }
    public bool IsIdle => _idle;
    public long CurrentWatermark => _emittedWatermark;

    public void AddSplits(IReadOnlyList<SourceSplit> splits)
    {
        foreach (var s in splits) Split(s.SplitId);
        _reader.AddSplits(splits);
    }

    private SplitState Split(string id)
    {
        if (!_splits.TryGetValue(id, out var s))
            _splits[id] = s = new SplitState(_strategy.CreateGenerator(), _clock.NowMillis);
        return s;
    }

    public PollStatus Poll(int maxRecords)
    {
        if (_restoredWatermark != Watermark.NoTimestamp)
        {
            if (_restoredWatermark > _emittedWatermark)
            {
                _emittedWatermark = _restoredWatermark;
                _output.EmitWatermark(_restoredWatermark);
            }
            _restoredWatermark = Watermark.NoTimestamp;
        }
        var status = _reader.Poll(this, maxRecords);
        var now = _clock.NowMillis;
        var min = long.MaxValue;
        var anyActive = false;
        var allFinished = _splits.Count > 0;
        foreach (var s in _splits.Values)
        {
            // Activity is stamped once per poll, not per record: idleness is decided at poll granularity anyway.
            if (s.HadRecords)
            {
                s.LastActivity = now;
                s.HadRecords = false;
            }
            s.Generator.OnPeriodicEmit(s);
            if (s.Finished) continue;
            allFinished = false;
            if (s.ExplicitIdle || now - s.LastActivity >= _idleTimeout) continue;
            anyActive = true;
            if (s.Watermark < min) min = s.Watermark;
        }
        if (status == PollStatus.EndOfInput) return status;

        // A reader without splits (more subtasks than partitions) is idle at once, as in Flink.
        var idle = _splits.Count == 0 || (!anyActive && !allFinished && _idleTimeout != long.MaxValue);
        if (idle != _idle)
        {
            _idle = idle;
            _idleChanged(idle);
        }
        if (anyActive && min != long.MaxValue && min > _emittedWatermark)
        {
            _emittedWatermark = min;
            _output.EmitWatermark(min);
        }
        return status;
    }

    public void Collect(string splitId, T value, long timestamp)
    {
        SplitState s;
        if (ReferenceEquals(splitId, _lastSplitId)) s = _lastSplit!;
        else
        {
            s = Split(splitId);
            _lastSplitId = splitId;
            _lastSplit = s;
        }
        var ts = _strategy.TimestampAssigner is { } assign ? assign(value, timestamp) : timestamp;
        s.HadRecords = true;
        s.ExplicitIdle = false;
        s.Generator.OnEvent(value, ts, s);
        RecordsOut++;
        _output.Collect(value, ts);
    }

    public void EmitFinalWatermark()
    {
        _emittedWatermark = Watermark.MaxWatermark;
        _output.EmitWatermark(Watermark.MaxWatermark);
    }

    public void SplitFinished(string splitId) => Split(splitId).Finished = true;

    public IReadOnlyList<SourceSplit> SnapshotSplits(long checkpointId) => _reader.SnapshotSplits(checkpointId);

    public Dictionary<string, long> SnapshotWatermarks()
    {
        var d = new Dictionary<string, long>(_splits.Count, StringComparer.Ordinal);
        foreach (var (id, s) in _splits) d[id] = s.Watermark;
        return d;
    }

    public void RestoreWatermarks(IReadOnlyDictionary<string, long> watermarks)
    {
        var min = long.MaxValue;
        foreach (var (id, w) in watermarks)
        {
            Split(id).EmitWatermark(w);
            if (w < min) min = w;
        }
        if (min != long.MaxValue && min != Watermark.NoTimestamp) _restoredWatermark = min;
    }
    public void NotifyCheckpointComplete(long checkpointId) => _reader.NotifyCheckpointComplete(checkpointId);
    public void Dispose() => _reader.Dispose();

    private sealed class SplitState(IWatermarkGenerator<T> generator, long now) : IWatermarkOutput
    {
        public IWatermarkGenerator<T> Generator { get; } = generator;
        public long Watermark { get; private set; } = Api.Time.Watermark.NoTimestamp;
        public long LastActivity { get; set; } = now;
        /// <summary>Records arrived since the last poll ended (the poll then stamps <see cref="LastActivity"/>).</summary>
        public bool HadRecords { get; set; }
        public bool ExplicitIdle { get; set; }
        public bool Finished { get; set; }

        public void EmitWatermark(long watermark)
        {
            if (watermark > Watermark) Watermark = watermark;
        }

        public void MarkIdle() => ExplicitIdle = true;
        public void MarkActive() => ExplicitIdle = false;
    }
}
