using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;

namespace RecoFlow.Connectors.Kafka;

/// <summary>Where a partition starts when its split has no position yet (a fresh run; restored splits resume at their position).</summary>
public enum KafkaStartMode
{
    /// <summary>The earliest offset still retained.</summary>
    Earliest,
    /// <summary>The end of the partition when the reader gets the split: only records produced afterwards.</summary>
    Latest,
    /// <summary>The first record whose timestamp is at or after <see cref="KafkaSourceOptions.StartTimestampMs"/> (the end if none).</summary>
    Timestamp,
    /// <summary>The consumer group's committed offset; <see cref="KafkaSourceOptions.CommittedFallback"/> where none is committed.</summary>
    Committed,
}

/// <summary>When a split ends.</summary>
public enum KafkaStopMode
{
    /// <summary>Never: the source is unbounded.</summary>
    Never,
    /// <summary>At the partition's end offset recorded when the reader got the split (Flink: bounded, OffsetsInitializer.latest()).</summary>
    Latest,
}

/// <summary>Options of a <see cref="KafkaSource{T}"/>.</summary>
public sealed record KafkaSourceOptions
{
    /// <summary>Comma-separated host:port list.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>Topics to read; or set <see cref="TopicPattern"/>.</summary>
    public IReadOnlyList<string> Topics { get; init; } = [];

    /// <summary>A regular expression matched against the whole topic name (topics existing when the job starts).</summary>
    public string? TopicPattern { get; init; }

    /// <summary>Consumer group: used only for the <see cref="KafkaStartMode.Committed"/> start and for committing checkpointed offsets (monitoring).</summary>
    public string GroupId { get; init; } = "recoflow";

    public KafkaStartMode StartFrom { get; init; } = KafkaStartMode.Earliest;

    /// <summary>For <see cref="KafkaStartMode.Timestamp"/>: epoch milliseconds.</summary>
    public long? StartTimestampMs { get; init; }

    /// <summary>For <see cref="KafkaStartMode.Committed"/>: where a partition without a committed offset starts (Earliest or Latest).</summary>
    public KafkaStartMode CommittedFallback { get; init; } = KafkaStartMode.Earliest;

    public KafkaStopMode StopAt { get; init; } = KafkaStopMode.Never;

    /// <summary>Dead-letter topic of a record that fails to deserialise; <c>{topic}</c> is replaced by the record's topic. Null: no topic (dead letters are still reported to the job).</summary>
    public string? DeadLetterTopic { get; init; } = "{topic}.dlq";

    /// <summary>How long listing partitions and resolving start/end offsets may wait for the brokers before the job fails.</summary>
    public TimeSpan MetadataMaxWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Timeout of one metadata or offset request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Extra librdkafka consumer properties (override the defaults of <see cref="KafkaClientDefaults.Consumer"/>).</summary>
    public IReadOnlyDictionary<string, string>? ConsumerProperties { get; init; }

    /// <summary>Extra librdkafka producer properties for the dead-letter producer.</summary>
    public IReadOnlyDictionary<string, string>? ProducerProperties { get; init; }

    /// <summary>Operational log; default <see cref="KafkaLog.Default"/>.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Called when a reader gets splits (subtask index, the splits); for monitoring and tests.</summary>
    public Action<int, IReadOnlyList<SourceSplit>>? OnSplitsAssigned { get; init; }
}

/// <summary>Factories for <see cref="KafkaSource{T}"/> with the common deserializers.</summary>
public static class KafkaSource
{
    /// <summary>Position of a split that has not been read yet: the start mode decides where it begins.</summary>
    public const long UnsetPosition = -1;

    public static KafkaSource<T> Json<T>(KafkaSourceOptions options) => new(options, KafkaDeserializers.Json<T>());
    public static KafkaSource<T> MessagePack<T>(KafkaSourceOptions options) => new(options, KafkaDeserializers.MessagePack<T>());
    public static KafkaSource<string> Strings(KafkaSourceOptions options) => new(options, KafkaDeserializers.Utf8String());
    public static KafkaSource<byte[]> Bytes(KafkaSourceOptions options) => new(options, KafkaDeserializers.Bytes());

    /// <summary>Split id of a partition: "topic-partition".</summary>
    public static string SplitId(string topic, int partition) => KafkaPartitionSplitSerializer.SplitId(topic, partition);
}

/// <summary>
/// Reads Kafka topics (Flink: KafkaSource). One split per partition (id "topic-partition", position = next offset to
/// read); the runtime spreads splits over the source subtasks, and each reader assigns (not subscribes) its partitions,
/// so offsets live in checkpoints, not in the group. Records carry the Kafka timestamp as source timestamp; watermarks
/// are per partition (the runtime's per-split generators). A record that fails to deserialise goes to the dead-letter
/// topic and the job's dead letters; the source goes on.
/// </summary>
public sealed class KafkaSource<T> : ISource<T>
{
    private readonly Regex? _pattern;

    public KafkaSource(KafkaSourceOptions options, Func<ConsumeResult<byte[], byte[]>, T> deserializer)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Deserializer = deserializer ?? throw new ArgumentNullException(nameof(deserializer));
        if (string.IsNullOrWhiteSpace(options.BootstrapServers)) throw new ArgumentException("bootstrap servers are required", nameof(options));
        if ((options.Topics.Count == 0) == (options.TopicPattern is null))
            throw new ArgumentException("set either Topics or TopicPattern", nameof(options));
        if (options.StartFrom == KafkaStartMode.Timestamp && options.StartTimestampMs is null)
            throw new ArgumentException("StartFrom = Timestamp needs StartTimestampMs", nameof(options));
        if (options.CommittedFallback is not (KafkaStartMode.Earliest or KafkaStartMode.Latest))
            throw new ArgumentException("CommittedFallback must be Earliest or Latest", nameof(options));
        if (options.TopicPattern is { } p) _pattern = new Regex($"^(?:{p})$", RegexOptions.CultureInvariant);
    }

    public KafkaSourceOptions Options { get; }
    public Func<ConsumeResult<byte[], byte[]>, T> Deserializer { get; }

    public Boundedness Boundedness => Options.StopAt == KafkaStopMode.Never ? Boundedness.Unbounded : Boundedness.Bounded;

    internal Action<string> Log => Options.Log ?? KafkaLog.Default;

    /// <summary>
    /// Lists the partitions of the topics through the brokers' metadata, retrying with exponential backoff while no
    /// broker answers or a topic does not exist yet (up to <see cref="KafkaSourceOptions.MetadataMaxWait"/>). Splits are
    /// sorted by topic and partition, so every subtask computes the same list.
    /// </summary>
    public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context)
    {
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(Options.BootstrapServers))
            .SetLogHandler((_, _) => { }) // connection errors are reported by the retry log
            .Build();
        var what = $"partitions of {DescribeTopics()} from {Options.BootstrapServers}";
        var partitions = KafkaRetry.Run(() => ListPartitions(admin), what, Options.MetadataMaxWait, Log);
        var splits = new List<SourceSplit>(partitions.Count);
        foreach (var (topic, partition) in partitions)
            splits.Add(KafkaPartitionSplitSerializer.Serialize(new KafkaPartitionSplit(topic, partition)));
        return splits;
    }

    private List<(string Topic, int Partition)> ListPartitions(IAdminClient admin)
    {
        var result = new List<(string, int)>();
        if (_pattern is not null)
        {
            var metadata = admin.GetMetadata(Options.RequestTimeout);
            if (metadata.Brokers.Count == 0) throw new KafkaRetryableStateException("no brokers in metadata");
            foreach (var t in metadata.Topics)
                if (t.Error.Code == ErrorCode.NoError && _pattern.IsMatch(t.Topic))
                    foreach (var p in t.Partitions) result.Add((t.Topic, p.PartitionId));
            if (result.Count == 0) throw new KafkaRetryableStateException($"no topic matches /{Options.TopicPattern}/");
        }
        else
        {
            foreach (var topic in Options.Topics)
            {
                var metadata = admin.GetMetadata(topic, Options.RequestTimeout);
                var t = metadata.Topics.Find(x => x.Topic == topic);
                if (t is null || t.Error.Code != ErrorCode.NoError || t.Partitions.Count == 0)
                    throw new KafkaRetryableStateException($"topic {topic}: {(t is null ? "not in metadata" : t.Error.Code == ErrorCode.NoError ? "no partitions" : t.Error.Reason)}");
                foreach (var p in t.Partitions) result.Add((topic, p.PartitionId));
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1) is var c and not 0 ? c : a.Item2.CompareTo(b.Item2));
        return result;
    }

    public ISourceReader<T> CreateReader(SourceContext context) => new KafkaSourceReader<T>(this, context);

    public string Describe() =>
        $"Kafka {DescribeTopics()} at {Options.BootstrapServers} from {Options.StartFrom}{(Options.StopAt == KafkaStopMode.Latest ? " to latest (bounded)" : "")}";

    private string DescribeTopics() => Options.TopicPattern is { } p ? $"topics /{p}/" : $"topic(s) {string.Join(", ", Options.Topics)}";
}

/// <summary>
/// Reads the partitions of one source subtask with one consumer, manually assigned. <see cref="Poll"/> never waits:
/// it takes what the consumer has fetched already. Broker outages are logged and retried by librdkafka; the reader
/// reports <see cref="PollStatus.NothingAvailable"/> meanwhile.
/// </summary>
internal sealed class KafkaSourceReader<T> : ISourceReader<T>
{
    private readonly KafkaSourceOptions _options;
    private readonly SourceContext _context;
    private readonly Func<ConsumeResult<byte[], byte[]>, T> _deserialize;
    private readonly IDeadLetterOutput _deadLetters;
    private readonly Action<string> _log;
    private readonly ThrottledLog _throttled;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly List<KafkaPartitionSplitState> _splits = [];
    private readonly Dictionary<string, KafkaPartitionSplitState[]> _byTopic = new(StringComparer.Ordinal);
    private readonly Queue<KafkaPartitionSplitState> _toAnnounce = new();
    private readonly bool _bounded;
    private IProducer<byte[], byte[]>? _dlq;
    private int _dlqPending;
    private string? _lastTopic;
    private KafkaPartitionSplitState[]? _lastTopicSplits;
    private int _active;
    private readonly List<(long CheckpointId, List<TopicPartitionOffset> Offsets)> _snapshots = [];
    private long _lastCheckpointId;
    private long _deadLettered;
    private long _offsetResets;

    public KafkaSourceReader(KafkaSource<T> source, SourceContext context)
    {
        _options = source.Options;
        _context = context;
        _deserialize = source.Deserializer;
        _deadLetters = context.DeadLetters;
        _log = source.Log;
        _throttled = new ThrottledLog(_log, TimeSpan.FromSeconds(10));
        _bounded = _options.StopAt != KafkaStopMode.Never;
        var config = KafkaClientDefaults.Consumer(_options.BootstrapServers, _options.GroupId);
        config.EnableAutoCommit = true;        // commits only what StoreOffset stored: checkpointed offsets
        config.EnableAutoOffsetStore = false;
        config.AutoCommitIntervalMs = 1000;
        config.ClientId = $"recoflow-source-{context.SubtaskIndex}";
        if (_options.ConsumerProperties is { } extra)
            foreach (var (k, v) in extra) config.Set(k, v);
        var prefix = $"source subtask {context.SubtaskIndex}/{context.Parallelism}";
        _consumer = new ConsumerBuilder<byte[], byte[]>(config)
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
    public long DeadLettered => _deadLettered;

    /// <summary>Positions moved by auto.offset.reset because they were outside the partition's offsets.</summary>
    public long OffsetResets => Interlocked.Read(ref _offsetResets);

    /// <summary>Snapshots kept for <see cref="NotifyCheckpointComplete"/> (at most this many, oldest dropped).</summary>
    internal const int MaxPendingSnapshots = 16;

    public void AddSplits(IReadOnlyList<SourceSplit> splits)
    {
        var added = new List<KafkaPartitionSplitState>(splits.Count);
        foreach (var split in splits) added.Add(new KafkaPartitionSplitState(KafkaPartitionSplitSerializer.Deserialize(split)));
        ResolveStartPositions(added);
        if (_bounded) ResolveEndOffsets(added);
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

    private void ResolveStartPositions(List<KafkaPartitionSplitState> splits)
    {
        var unset = splits.FindAll(s => s.Position < 0);
        if (unset.Count == 0) return;
        var mode = _options.StartFrom;
        var timeout = _options.RequestTimeout;
        if (mode == KafkaStartMode.Committed)
        {
            var committed = KafkaRetry.Run(() => _consumer.Committed(unset.Select(s => s.Partition), timeout),
                $"committed offsets of group {_options.GroupId}", _options.MetadataMaxWait, _log);
            var fallback = new List<KafkaPartitionSplitState>();
            foreach (var s in unset)
            {
                var c = committed.Find(x => x.TopicPartition.Equals(s.Partition));
                if (c is not null && c.Offset.Value >= 0) s.Position = c.Offset.Value;
                else fallback.Add(s);
            }
            unset = fallback;
            mode = _options.CommittedFallback;
        }
        else if (mode == KafkaStartMode.Timestamp)
        {
            var ts = _options.StartTimestampMs!.Value;
            var found = KafkaRetry.Run(() => _consumer.OffsetsForTimes(unset.Select(s => new TopicPartitionTimestamp(s.Partition, new Timestamp(ts, TimestampType.CreateTime))), timeout),
                $"offsets for timestamp {ts}", _options.MetadataMaxWait, _log);
            var atEnd = new List<KafkaPartitionSplitState>();
            foreach (var s in unset)
            {
                var f = found.Find(x => x.TopicPartition.Equals(s.Partition));
                if (f is not null && f.Offset.Value >= 0) s.Position = f.Offset.Value;
                else atEnd.Add(s);
            }
            unset = atEnd;
            mode = KafkaStartMode.Latest;
        }
        foreach (var s in unset)
        {
            var w = KafkaRetry.Run(() => _consumer.QueryWatermarkOffsets(s.Partition, timeout), $"offsets of {s.SplitId}", _options.MetadataMaxWait, _log);
            s.Position = mode == KafkaStartMode.Latest ? w.High.Value : w.Low.Value;
        }
    }

    private void ResolveEndOffsets(List<KafkaPartitionSplitState> splits)
    {
        foreach (var s in splits)
        {
            if (s.End != KafkaPartitionSplitState.NoEnd) continue; // restored: keeps the end recorded at the first start
            var w = KafkaRetry.Run(() => _consumer.QueryWatermarkOffsets(s.Partition, _options.RequestTimeout), $"end offset of {s.SplitId}", _options.MetadataMaxWait, _log);
            s.End = w.High.Value;
        }
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
                DeadLetter(r, e);
                if (s.Position >= s.End) Finish(s, output);
                continue;
            }
            var ts = r.Message.Timestamp.Type == TimestampType.NotAvailable ? Api.Time.Watermark.NoTimestamp : r.Message.Timestamp.UnixTimestampMs;
            output.Collect(s.SplitId, value, ts);
            emitted++;
            if (s.Position >= s.End) Finish(s, output);
        }
        if (_bounded && _active == 0) return PollStatus.EndOfInput;
        return consumed > 0 ? PollStatus.MoreAvailable : PollStatus.NothingAvailable;
    }

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

    private void DeadLetter(ConsumeResult<byte[], byte[]> r, Exception error)
    {
        _deadLettered++;
        var where = $"{r.Topic}-{r.Partition.Value}@{r.Offset.Value}";
        var text = r.Message.Value is { } v ? Encoding.UTF8.GetString(v) : null;
        var ts = r.Message.Timestamp.Type == TimestampType.NotAvailable ? Api.Time.Watermark.NoTimestamp : r.Message.Timestamp.UnixTimestampMs;
        _deadLetters.Report($"{where}: {error.GetType().Name}: {error.Message}", text, ts);
        if (_options.DeadLetterTopic is not { } template) return;
        var dlqTopic = template.Replace("{topic}", r.Topic, StringComparison.Ordinal);
        var message = new Message<byte[], byte[]>
        {
            Key = r.Message.Key,
            Value = r.Message.Value,
            Timestamp = r.Message.Timestamp.Type == TimestampType.NotAvailable ? Timestamp.Default : new Timestamp(r.Message.Timestamp.UnixTimestampMs, TimestampType.CreateTime),
            Headers = new Headers
            {
                { "error", Encoding.UTF8.GetBytes($"{error.GetType().Name}: {error.Message}") },
                { "topic", Encoding.UTF8.GetBytes(r.Topic) },
                { "partition", Encoding.UTF8.GetBytes(r.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
                { "offset", Encoding.UTF8.GetBytes(r.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
            },
        };
        try
        {
            Interlocked.Increment(ref _dlqPending);
            DeadLetterProducer().Produce(dlqTopic, message, report =>
            {
                Interlocked.Decrement(ref _dlqPending);
                if (report.Error.IsError) _log($"dead letter of {where} not delivered to {dlqTopic}: {report.Error.Reason}");
            });
        }
        catch (KafkaException e)
        {
            Interlocked.Decrement(ref _dlqPending);
            _log($"dead letter of {where} not sent to {dlqTopic}: {e.Message}");
        }
    }

    private IProducer<byte[], byte[]> DeadLetterProducer()
    {
        if (_dlq is not null) return _dlq;
        var config = KafkaClientDefaults.Producer(_options.BootstrapServers);
        config.ClientId = $"recoflow-source-dlq-{_context.SubtaskIndex}";
        if (_options.ProducerProperties is { } extra)
            foreach (var (k, v) in extra) config.Set(k, v);
        return _dlq = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => _throttled.Write($"dead-letter producer error: {e.Code}: {e.Reason}"))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    /// <summary>
    /// The position of every split (next offset to read; finished splits included). The contract gives no checkpoint
    /// id, so the snapshot is taken to belong to the checkpoint after the highest id this reader has seen (snapshot or
    /// notification): exact when checkpoint ids are consecutive and every checkpoint snapshots every reader once.
    /// </summary>
    public IReadOnlyList<SourceSplit> SnapshotSplits() => SnapshotSplits(_lastCheckpointId + 1);

    /// <summary>The snapshot of checkpoint <paramref name="checkpointId"/>; its offsets are kept until that checkpoint (or a later one) completes.</summary>
    public IReadOnlyList<SourceSplit> SnapshotSplits(long checkpointId)
    {
        // Dead letters before this point reach their topic before the checkpoint can complete (at least once).
        if (_dlq is not null && Volatile.Read(ref _dlqPending) > 0) _dlq.Flush(TimeSpan.FromSeconds(30));
        var list = new List<SourceSplit>(_splits.Count);
        var offsets = new List<TopicPartitionOffset>(_splits.Count);
        foreach (var s in _splits)
        {
            list.Add(KafkaPartitionSplitSerializer.Serialize(s.ToSplit()));
            if (s.Position >= 0) offsets.Add(new TopicPartitionOffset(s.Partition, new Offset(s.Position)));
        }
        _snapshots.RemoveAll(x => x.CheckpointId >= checkpointId); // a re-taken checkpoint id replaces the old snapshot
        _snapshots.Add((checkpointId, offsets));
        if (_snapshots.Count > MaxPendingSnapshots) _snapshots.RemoveAt(0);
        _lastCheckpointId = Math.Max(_lastCheckpointId, checkpointId);
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
        _lastCheckpointId = Math.Max(_lastCheckpointId, checkpointId);
        var index = _snapshots.FindLastIndex(x => x.CheckpointId <= checkpointId);
        if (index < 0) return;
        var offsets = _snapshots[index].Offsets;
        _snapshots.RemoveRange(0, index + 1);
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
        try
        {
            _dlq?.Flush(TimeSpan.FromSeconds(10));
        }
        catch (KafkaException e)
        {
            _log($"dead-letter producer flush failed: {e.Message}");
        }
        _dlq?.Dispose();
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
