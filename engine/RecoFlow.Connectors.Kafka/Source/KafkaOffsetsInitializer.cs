using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Turns the start and stop modes into offsets (Flink: OffsetsInitializer — earliest(), latest(), timestamp(),
/// committedOffsets(resetStrategy) — with the enumerator's PartitionOffsetsRetriever). Flink resolves them in the
/// enumerator before assigning a split; RecoFlow has no enumerator task, so the reader resolves them with its own
/// consumer when it gets the split. Either way a checkpoint taken before the first record holds concrete offsets.
/// </summary>
internal sealed class KafkaOffsetsInitializer(IConsumer<byte[], byte[]> consumer, KafkaSourceOptions options, Action<string> log)
{
    /// <summary>
    /// Gives every split without a position (a fresh start) one, by <see cref="KafkaSourceOptions.StartFrom"/>;
    /// restored splits keep theirs.
    /// </summary>
    public void ResolveStartingOffsets(List<KafkaPartitionSplitState> splits)
    {
        // A restored position below the log start would be moved by auto.offset.reset without a count: say how many are lost.
        RaiseToLogStart(splits.FindAll(s => s.Position >= 0), "checkpointed");
        var unset = splits.FindAll(s => s.Position < 0);
        if (unset.Count == 0) return;
        var mode = options.StartFrom;
        var timeout = options.RequestTimeout;
        if (mode == KafkaStartMode.Committed)
        {
            var committed = KafkaRetry.Run(() => consumer.Committed(unset.Select(s => s.Partition), timeout),
                $"committed offsets of group {options.GroupId}", options.MetadataMaxWait, log);
            var fallback = new List<KafkaPartitionSplitState>();
            foreach (var s in unset)
            {
                var c = committed.Find(x => x.TopicPartition.Equals(s.Partition));
                if (c is not null && c.Offset.Value >= 0) s.Position = c.Offset.Value;
                else fallback.Add(s);
            }
            RaiseToLogStart(unset.FindAll(s => s.Position >= 0), "committed");
            unset = fallback;
            mode = options.CommittedFallback;
        }
        else if (mode == KafkaStartMode.Timestamp)
        {
            var ts = options.StartTimestampMs!.Value;
            var found = KafkaRetry.Run(() => consumer.OffsetsForTimes(unset.Select(s => new TopicPartitionTimestamp(s.Partition, new Timestamp(ts, TimestampType.CreateTime))), timeout),
                $"offsets for timestamp {ts}", options.MetadataMaxWait, log);
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
            var w = KafkaRetry.Run(() => consumer.QueryWatermarkOffsets(s.Partition, timeout), $"offsets of {s.SplitId}", options.MetadataMaxWait, log);
            s.Position = mode == KafkaStartMode.Latest ? w.High.Value : w.Low.Value;
            if (mode != KafkaStartMode.Latest && LogStartCheck.Earliest(s.SplitId, w.Low.Value) is { } skipped) log($"warning: {skipped}");
        }
    }

    /// <summary>Moves every position below its partition's log start up to it, with a warning that counts what was skipped.</summary>
    private void RaiseToLogStart(List<KafkaPartitionSplitState> positioned, string origin)
    {
        foreach (var s in positioned)
        {
            var w = KafkaRetry.Run(() => consumer.QueryWatermarkOffsets(s.Partition, options.RequestTimeout), $"offsets of {s.SplitId}", options.MetadataMaxWait, log);
            if (LogStartCheck.Below(s.SplitId, s.Position, w.Low.Value, origin) is not { } warning) continue;
            log($"warning: {warning}");
            s.Position = w.Low.Value;
        }
    }

    /// <summary>
    /// Bounded mode (Flink: setBounded(OffsetsInitializer.latest())): records the partition's high watermark as the
    /// end of every split that has none; a restored split keeps the end recorded at the first start.
    /// </summary>
    public void ResolveStoppingOffsets(List<KafkaPartitionSplitState> splits)
    {
        foreach (var s in splits)
        {
            if (s.End != KafkaPartitionSplitState.NoEnd) continue;
            var w = KafkaRetry.Run(() => consumer.QueryWatermarkOffsets(s.Partition, options.RequestTimeout), $"end offset of {s.SplitId}", options.MetadataMaxWait, log);
            s.End = w.High.Value;
        }
    }
}
