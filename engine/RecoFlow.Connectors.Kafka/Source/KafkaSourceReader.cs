using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Reads the partitions of one source subtask with one consumer, manually assigned (Flink: KafkaSourceReader with
/// its KafkaPartitionSplitReader and KafkaRecordEmitter; RecoFlow's reader is polled by its task, so there is no
/// fetcher thread). <see cref="Poll"/> never waits: it takes what the consumer has fetched already. Broker outages
/// are logged and retried by librdkafka; the reader reports <see cref="PollStatus.NothingAvailable"/> meanwhile.
/// </summary>
internal sealed class KafkaSourceReader<T> : ISourceReader<T>
{
    private readonly KafkaSourceOptions _options;
    private readonly SourceContext _context;
    private readonly Func<ConsumeResult<byte[], byte[]>, T> _deserialize;
    private readonly Action<string> _log;
    private readonly ThrottledLog _throttled;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly KafkaOffsetsInitializer _offsets;
    private readonly KafkaDeadLetterProducer _deadLetters;
    private readonly KafkaOffsetCommits _commits = new();
    private readonly List<KafkaPartitionSplitState> _splits = [];
    private readonly Dictionary<string, KafkaPartitionSplitState[]> _byTopic = new(StringComparer.Ordinal);
    private readonly Queue<KafkaPartitionSplitState> _toAnnounce = new();
    private readonly bool _bounded;
    private string? _lastTopic;
    private KafkaPartitionSplitState[]? _lastTopicSplits;
    private int _active;
    private long _offsetResets;
    private long _nextLagTicks;

    public KafkaSourceReader(KafkaSource<T> source, SourceContext context)
    {
        _options = source.Options;
        _context = context;
        _deserialize = source.Deserializer;
        _log = source.Log;
        _throttled = new ThrottledLog(_log, TimeSpan.FromSeconds(10));
        _bounded = _options.StopAt != KafkaStopMode.Never;
        _consumer = BuildConsumer();
        _offsets = new KafkaOffsetsInitializer(_consumer, _options, _log);
        _deadLetters = new KafkaDeadLetterProducer(_options, context, _log, _throttled);
    }

    private IConsumer<byte[], byte[]> BuildConsumer()
    {
        var config = KafkaClientDefaults.Consumer(_options.BootstrapServers, _options.GroupId);
        config.EnableAutoCommit = true;        // commits only what StoreOffset stored: checkpointed offsets
        config.EnableAutoOffsetStore = false;
        config.AutoCommitIntervalMs = 1000;
        config.ClientId = $"recoflow-source-{_context.SubtaskIndex}";
        if (_options.ConsumerProperties is { } extra)
            foreach (var (k, v) in extra) config.Set(k, v);
        var prefix = $"source subtask {_context.SubtaskIndex}/{_context.Parallelism}";
        return new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal) _log($"{prefix}: fatal consumer error: {e.Reason}");
                else _throttled.Write($"{prefix}: consumer error (librdkafka retries): {e.Code}: {e.Reason}", e.Code.ToString());
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Facility == "OFFSET" && OffsetResetLine.Match(m.Message) is { Success: true } reset)
                {
                    // Every reset is logged (not throttled): it means records are skipped or read again.
                    Interlocked.Increment(ref _offsetResets);
                    _log($"{prefix}: offset reset of {reset.Groups[1].Value}-{reset.Groups[2].Value}: {m.Message}");
                }
                else if (m.Level <= SyslogLevel.Warning) _throttled.Write($"{prefix}: librdkafka {m.Level}: {m.Facility}: {m.Message}", m.Facility);
            })
            .Build();
    }

    /// <summary>librdkafka's line when it moves a position by auto.offset.reset: "… topic [partition]: offset reset (at offset …".</summary>
    private static readonly Regex OffsetResetLine = new(@"(\S+) \[(\d+)\]: offset reset", RegexOptions.CultureInvariant);

    /// <summary>Dead-lettered records so far.</summary>
    public long DeadLettered => _deadLetters.Count;

    /// <summary>Positions moved by auto.offset.reset because they were outside the partition's offsets.</summary>
    public long OffsetResets => Interlocked.Read(ref _offsetResets);

    /// <summary>Snapshots kept for <see cref="NotifyCheckpointComplete"/> (at most this many, oldest dropped).</summary>
    internal const int MaxPendingSnapshots = KafkaOffsetCommits.MaxPending;

    /// <summary>
    /// Takes splits (fresh, or restored from a checkpoint in any format version <see cref="KafkaPartitionSplitSerializer"/>
    /// reads), resolves start and, when bounded, end offsets, and re-assigns the consumer to every unfinished split.
    /// </summary>
    public void AddSplits(IReadOnlyList<SourceSplit> splits)
    {
        var added = new List<KafkaPartitionSplitState>(splits.Count);
        foreach (var split in splits) added.Add(new KafkaPartitionSplitState(KafkaPartitionSplitSerializer.Deserialize(split)));
        _offsets.ResolveStartingOffsets(added);
        if (_bounded) _offsets.ResolveStoppingOffsets(added);
        foreach (var s in added)
        {
            _splits.Add(s);
            if (!_byTopic.TryGetValue(s.Partition.Topic, out var arr) || arr.Length <= s.Partition.Partition.Value)
            {
                var bigger = new KafkaPartitionSplitState[Math.Max(s.Partition.Partition.Value + 1, arr?.Length ?? 0)];
                arr?.CopyTo(bigger, 0);
                _byTopic[s.Partition.Topic] = arr = bigger;
            }
            arr[s.Partition.Partition.Value] = s;
            if (_bounded && s.Position >= s.End)
            {
                s.Finished = true;
                _toAnnounce.Enqueue(s);
            }
            else _active++;
        }
        _lastTopic = null;
        var assignment = new List<TopicPartitionOffset>();
        foreach (var s in _splits)
            if (!s.Finished) assignment.Add(new TopicPartitionOffset(s.Partition, new Offset(s.Position)));
        _consumer.Assign(assignment);

        var sb = new StringBuilder();
        foreach (var s in added)
            sb.Append(sb.Length == 0 ? "" : ", ").Append(s.SplitId).Append('@').Append(s.Position).Append(_bounded ? $"..{s.End}" : "");
        _log($"source subtask {_context.SubtaskIndex}/{_context.Parallelism}: assigned {added.Count} partition(s): {sb}");
        _options.OnSplitsAssigned?.Invoke(_context.SubtaskIndex, splits);
    }

    public PollStatus Poll(ISourceOutput<T> output, int maxRecords)
    {
        while (_toAnnounce.TryDequeue(out var f)) output.SplitFinished(f.SplitId);
        if (_active == 0) return _bounded ? PollStatus.EndOfInput : PollStatus.NothingAvailable;

        var consumed = 0;
        var emitted = 0;
        while (emitted < maxRecords)
        {
            ConsumeResult<byte[], byte[]>? r;
            try
            {
                r = _consumer.Consume(0);
            }
            catch (ConsumeException e) when (e.Error.Code == ErrorCode.Local_AutoOffsetReset)
            {
                // The position was outside the partition's offsets (the broker lost or truncated the data, e.g. a
                // restarted dev broker): librdkafka moved it per auto.offset.reset; records then come from there.
                var where = e.ConsumerRecord?.TopicPartitionOffset is { } tpo ? $"{tpo.Topic}-{tpo.Partition.Value}" : "a partition";
                _log($"source subtask {_context.SubtaskIndex}: offset reset of {where}: {e.Error.Reason}");
                Interlocked.Increment(ref _offsetResets);
                continue;
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                _throttled.Write($"source subtask {_context.SubtaskIndex}: consume error (will retry): {e.Error.Code}: {e.Error.Reason}", e.Error.Code.ToString());
                break;
            }
            if (r is null) break;
            if (r.IsPartitionEOF) continue;
            consumed++;
            var s = Lookup(r.Topic, r.Partition.Value);
            if (s is null || s.Finished) continue;
            var offset = r.Offset.Value;
            if (offset >= s.End)
            {
                Finish(s, output);
                continue;
            }
            s.Position = offset + 1;
            T value;
            try
            {
                value = _deserialize(r);
            }
            catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException))
            {
                _deadLetters.Send(r, e);
                if (s.Position >= s.End) Finish(s, output);
                continue;
            }
            var ts = r.Message.Timestamp.Type == TimestampType.NotAvailable ? Api.Time.Watermark.NoTimestamp : r.Message.Timestamp.UnixTimestampMs;
            output.Collect(s.SplitId, value, ts);
            emitted++;
            if (s.Position >= s.End) Finish(s, output);
        }
        PublishLag();
        if (_bounded && _active == 0) return PollStatus.EndOfInput;
        return consumed > 0 ? PollStatus.MoreAvailable : PollStatus.NothingAvailable;
    }

    /// <summary>At most once per <see cref="KafkaConsumerLag.Interval"/>: each partition's high watermark (as last fetched, no broker call) minus the position.</summary>
    private void PublishLag()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (now < _nextLagTicks) return;
        _nextLagTicks = now + (long)(KafkaConsumerLag.Interval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        foreach (var s in _splits)
        {
            var (topic, partition) = (s.Partition.Topic, s.Partition.Partition.Value);
            if (s.Finished)
            {
                KafkaConsumerLag.Remove(topic, partition, Group, _context.SubtaskIndex);
                continue;
            }
            WatermarkOffsets w;
            try { w = _consumer.GetWatermarkOffsets(s.Partition); }
            catch (KafkaException) { continue; }
            if (w.High.Value >= 0 && s.Position >= 0) KafkaConsumerLag.Publish(topic, partition, Group, _context.SubtaskIndex, w.High.Value - s.Position);
        }
    }

    private string Group => _options.GroupId ?? "";

    /// <summary>The split of a record: a per-topic array indexed by partition (no allocation per record).</summary>
    private KafkaPartitionSplitState? Lookup(string topic, int partition)
    {
        KafkaPartitionSplitState[]? arr;
        if (_lastTopic is not null && string.Equals(_lastTopic, topic, StringComparison.Ordinal)) arr = _lastTopicSplits;
        else
        {
            if (!_byTopic.TryGetValue(topic, out arr)) return null;
            _lastTopic = topic;
            _lastTopicSplits = arr;
        }
        return arr is not null && (uint)partition < (uint)arr.Length ? arr[partition] : null;
    }

    private void Finish(KafkaPartitionSplitState s, ISourceOutput<T> output)
    {
        if (s.Finished) return;
        s.Finished = true;
        _active--;
        output.SplitFinished(s.SplitId);
        try
        {
            _consumer.Pause([s.Partition]);
        }
        catch (KafkaException e)
        {
            _throttled.Write($"source subtask {_context.SubtaskIndex}: could not pause finished {s.SplitId}: {e.Message}");
        }
    }

    /// <summary>
    /// The position of every split (next offset to read; finished splits included). The contract gives no checkpoint
    /// id, so the snapshot is taken to belong to <see cref="KafkaOffsetCommits.NextCheckpointId"/>.
    /// </summary>
    public IReadOnlyList<SourceSplit> SnapshotSplits() => SnapshotSplits(_commits.NextCheckpointId);

    /// <summary>The snapshot of checkpoint <paramref name="checkpointId"/>; its offsets are kept until that checkpoint (or a later one) completes.</summary>
    public IReadOnlyList<SourceSplit> SnapshotSplits(long checkpointId)
    {
        // Dead letters before this point reach their topic before the checkpoint can complete (at least once).
        _deadLetters.FlushPending();
        var list = new List<SourceSplit>(_splits.Count);
        var offsets = new List<TopicPartitionOffset>(_splits.Count);
        foreach (var s in _splits)
        {
            list.Add(KafkaPartitionSplitSerializer.Serialize(s.ToSplit()));
            if (s.Position >= 0) offsets.Add(new TopicPartitionOffset(s.Partition, new Offset(s.Position)));
        }
        _commits.Add(checkpointId, offsets);
        return list;
    }

    /// <summary>
    /// Commits the offsets of the latest snapshot taken for a checkpoint id at or below <paramref name="checkpointId"/>
    /// to the consumer group (stored now, committed by librdkafka in the background and on close) and forgets older
    /// snapshots. Monitoring only: RecoFlow restores from checkpoints. Assumes the notification for checkpoint n comes
    /// after the snapshot of n (see <see cref="SnapshotSplits()"/> for how an id-less snapshot is numbered).
    /// </summary>
    public void NotifyCheckpointComplete(long checkpointId)
    {
        if (_commits.Complete(checkpointId) is not { } offsets) return;
        foreach (var o in offsets)
        {
            try
            {
                _consumer.StoreOffset(o);
            }
            catch (KafkaException e)
            {
                _throttled.Write($"source subtask {_context.SubtaskIndex}: could not store offset {o} for commit: {e.Error.Reason}");
            }
        }
    }

    public void Dispose()
    {
        foreach (var s in _splits) KafkaConsumerLag.Remove(s.Partition.Topic, s.Partition.Partition.Value, Group, _context.SubtaskIndex);
        _deadLetters.Dispose();
        try
        {
            _consumer.Close();
        }
        catch (KafkaException e)
        {
            _log($"consumer close failed: {e.Message}");
        }
        _consumer.Dispose();
    }
}
