using System.Diagnostics;
using System.Text;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;
using static RecoFlow.Kafka.Tests.KafkaTestData;

namespace RecoFlow.Kafka.Tests;

/// <summary>The reader alone (no runtime): start modes, restored positions, bounded end, committed offsets.</summary>
[Trait("Category", "Slow")]
public sealed class KafkaSourceReaderTests
{
    private const long BaseTs = 1_700_000_000_000;

    private sealed class Output : ISourceOutput<string>
    {
        public List<(string Split, string Value, long Ts)> Records { get; } = [];
        public List<string> Finished { get; } = [];
        public void Collect(string splitId, string value, long timestamp) => Records.Add((splitId, value, timestamp));
        public void SplitFinished(string splitId) => Finished.Add(splitId);
    }

    private sealed class NoDeadLetters : IDeadLetterOutput
    {
        public void Report(string reason, object? record, long timestamp) => throw new InvalidOperationException(reason);
    }

    private static readonly SourceContext Context = new(0, 1, new Dictionary<string, string>(), new NoDeadLetters());

    private static async Task<Output> ReadToEnd(ISourceReader<string> reader, int maxRecords = 1000)
    {
        var output = new Output();
        var clock = Stopwatch.StartNew();
        while (reader.Poll(output, maxRecords) != PollStatus.EndOfInput)
        {
            Assert.True(clock.Elapsed < TestTimeout, $"no end of input; {output.Records.Count} records read");
            await Task.Delay(2);
        }
        return output;
    }

    private static KafkaSource<string> Source(string bootstrap, KafkaStartMode mode, long? ts = null, string group = "g") =>
        KafkaSource.Strings(new KafkaSourceOptions
        {
            BootstrapServers = bootstrap, Topics = ["t"], StartFrom = mode, StartTimestampMs = ts, GroupId = group,
            StopAt = KafkaStopMode.Latest, Log = _ => { },
        });

    [Fact]
    public async Task The_consumer_lag_of_each_partition_is_published_and_removed_when_the_reader_closes()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1, Topics = [("t", 1)] });
        Produce(broker.BootstrapServers, "t", Enumerable.Range(0, 100).Select(i => (0, (string?)null, Encoding.UTF8.GetBytes($"m{i}"), BaseTs + i)).ToList());
        var source = KafkaSource.Strings(new KafkaSourceOptions
        {
            BootstrapServers = broker.BootstrapServers, Topics = ["t"], StartFrom = KafkaStartMode.Earliest, GroupId = "lag-test",
            StopAt = KafkaStopMode.Never, Log = _ => { },
        });
        var output = new Output();
        var key = ("t", 0, "lag-test", 0);
        var clock = Stopwatch.StartNew();
        using (var reader = source.CreateReader(Context))
        {
            reader.AddSplits(source.CreateSplits(Context));
            // Read 30 records, then poll without reading until the lag published says what is left: 70.
            while (output.Records.Count < 30)
            {
                Assert.True(clock.Elapsed < TestTimeout, $"only {output.Records.Count} records read");
                reader.Poll(output, 30 - output.Records.Count);
                await Task.Delay(2);
            }
            while (!KafkaConsumerLag.Current.TryGetValue(key, out var lag) || lag != 70)
            {
                Assert.True(clock.Elapsed < TestTimeout, $"lag not published as 70: {(KafkaConsumerLag.Current.TryGetValue(key, out var l) ? l : -1)}");
                reader.Poll(output, 0);
                await Task.Delay(10);
            }
        }
        Assert.False(KafkaConsumerLag.Current.ContainsKey(key));
    }

    [Fact]
    public async Task Start_modes_restored_positions_and_committed_offsets()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1, Topics = [("t", 1)] });
        var bs = broker.BootstrapServers;
        Produce(bs, "t", Enumerable.Range(0, 100).Select(i => (0, (string?)null, Encoding.UTF8.GetBytes($"m{i}"), BaseTs + i)).ToList());

        // Earliest: everything, with the Kafka timestamps; the split finishes at the end offset.
        var source = Source(bs, KafkaStartMode.Earliest);
        var splits = source.CreateSplits(Context);
        Assert.Equal([new SourceSplit("t-0", KafkaSource.UnsetPosition, "t")], splits);
        using (var reader = source.CreateReader(Context))
        {
            reader.AddSplits(splits);
            var all = await ReadToEnd(reader);
            Assert.Equal(Enumerable.Range(0, 100).Select(i => ("t-0", $"m{i}", BaseTs + i)), all.Records);
            Assert.Equal(["t-0"], all.Finished);
            Assert.Equal([new SourceSplit("t-0", 100, "t@100")], reader.SnapshotSplits());
        }

        // Timestamp: the dev broker does not implement ListOffsets by timestamp (librdkafka's mock answers "no offset",
        // see docs/kafka.md), so the source starts where a real broker puts a timestamp after the last record: the end.
        using (var reader = Source(bs, KafkaStartMode.Timestamp, BaseTs + 60).CreateReader(Context))
        {
            reader.AddSplits(splits);
            Assert.Empty((await ReadToEnd(reader)).Records);
            Assert.Equal(100, reader.SnapshotSplits()[0].Position);
        }

        // Latest: nothing (bounded at the same end).
        using (var reader = Source(bs, KafkaStartMode.Latest).CreateReader(Context))
        {
            reader.AddSplits(splits);
            Assert.Empty((await ReadToEnd(reader)).Records);
        }

        // A restored split resumes at its position whatever the start mode, and keeps its recorded end.
        using (var reader = Source(bs, KafkaStartMode.Latest).CreateReader(Context))
        {
            reader.AddSplits([new SourceSplit("t-0", 90, "t@95")]);
            Assert.Equal(Enumerable.Range(90, 5).Select(i => $"m{i}"), (await ReadToEnd(reader)).Records.Select(r => r.Value));
        }

        // Committed: a reader commits its checkpointed position (30) for the group; the next one starts there.
        using (var reader = Source(bs, KafkaStartMode.Earliest, group: "g1").CreateReader(Context))
        {
            reader.AddSplits(splits);
            var output = new Output();
            var clock = Stopwatch.StartNew();
            while (output.Records.Count < 30)
            {
                reader.Poll(output, 30 - output.Records.Count);
                Assert.True(clock.Elapsed < TestTimeout);
                await Task.Delay(2);
            }
            Assert.Equal(30, reader.SnapshotSplits()[0].Position);
            reader.NotifyCheckpointComplete(1);
        } // close commits the stored offset
        using (var reader = Source(bs, KafkaStartMode.Committed, group: "g1").CreateReader(Context))
        {
            reader.AddSplits(splits);
            Assert.Equal(Enumerable.Range(30, 70).Select(i => $"m{i}"), (await ReadToEnd(reader)).Records.Select(r => r.Value));
        }
        // A group without commits falls back to earliest.
        using (var reader = Source(bs, KafkaStartMode.Committed, group: "fresh").CreateReader(Context))
        {
            reader.AddSplits(splits);
            Assert.Equal(100, (await ReadToEnd(reader)).Records.Count);
        }
    }

    private static async Task<Output> Read(ISourceReader<string> reader, int count)
    {
        var output = new Output();
        var clock = Stopwatch.StartNew();
        while (output.Records.Count < count)
        {
            reader.Poll(output, count - output.Records.Count);
            Assert.True(clock.Elapsed < TestTimeout, $"{output.Records.Count}/{count} records read");
            await Task.Delay(2);
        }
        return output;
    }

    [Fact]
    public async Task Snapshot_positions_are_next_offsets_and_a_reader_given_them_resumes_exactly()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1, Topics = [("t", 3)] });
        var bs = broker.BootstrapServers;
        Produce(bs, "t", Enumerable.Range(0, 300).Select(i => (i % 3, (string?)null, Encoding.UTF8.GetBytes($"p{i % 3}-m{i / 3}"), BaseTs + i)).ToList());
        var source = Source(bs, KafkaStartMode.Earliest, group: "resume");
        var splits = source.CreateSplits(Context);

        // Read part of the topic; the snapshot's position per partition is the offset after the last record emitted.
        IReadOnlyList<SourceSplit> snapshot;
        List<string> first;
        using (var reader = source.CreateReader(Context))
        {
            reader.AddSplits(splits);
            var output = await Read(reader, 130);
            first = output.Records.Select(r => r.Value).ToList();
            snapshot = reader.SnapshotSplits();
            foreach (var split in snapshot)
            {
                var emitted = output.Records.Count(r => r.Split == split.SplitId);
                Assert.Equal(emitted, split.Position); // offsets 0..emitted-1 were emitted, in order
                Assert.Equal(output.Records.Where(r => r.Split == split.SplitId).Select(r => r.Value),
                    Enumerable.Range(0, emitted).Select(i => $"{split.SplitId.Replace("t-", "p", StringComparison.Ordinal)}-m{i}"));
            }
        }

        // A new reader given the snapshot (as on restore, whatever the start mode) reads exactly the rest.
        using (var reader = Source(bs, KafkaStartMode.Latest).CreateReader(Context))
        {
            reader.AddSplits(snapshot);
            var rest = (await ReadToEnd(reader)).Records.Select(r => r.Value).ToList();
            Assert.Equal(300 - 130, rest.Count);
            Assert.Equal(Enumerable.Range(0, 300).Select(i => $"p{i % 3}-m{i / 3}").Order(), first.Concat(rest).Order());
        }

        // Explicit positions per partition, split over two readers (subtasks).
        var positions = new[] { 5L, 77L, 100L };
        var got = new List<string>();
        foreach (var subtask in new[] { 0, 1 })
        {
            using var reader = Source(bs, KafkaStartMode.Earliest).CreateReader(Context with { SubtaskIndex = subtask, Parallelism = 2 });
            reader.AddSplits(Enumerable.Range(0, 3).Where(p => p % 2 == subtask).Select(p => new SourceSplit($"t-{p}", positions[p], "t")).ToList());
            got.AddRange((await ReadToEnd(reader)).Records.Select(r => r.Value));
        }
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(p => Enumerable.Range((int)positions[p], 100 - (int)positions[p]).Select(i => $"p{p}-m{i}")).Order(), got.Order());
    }

    [Fact]
    public async Task Checkpoint_completion_commits_the_snapshot_of_that_checkpoint()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1, Topics = [("t", 1)] });
        var bs = broker.BootstrapServers;
        Produce(bs, "t", Enumerable.Range(0, 100).Select(i => (0, (string?)null, Encoding.UTF8.GetBytes($"m{i}"), BaseTs + i)).ToList());
        var source = Source(bs, KafkaStartMode.Earliest, group: "snapshots");
        var splits = source.CreateSplits(Context);
        using (var reader = source.CreateReader(Context))
        {
            reader.AddSplits(splits);
            await Read(reader, 30);
            Assert.Equal(30, reader.SnapshotSplits()[0].Position);  // snapshot of checkpoint 1
            await Read(reader, 20);
            Assert.Equal(50, reader.SnapshotSplits()[0].Position);  // snapshot of checkpoint 2, taken before 1 completes
            reader.NotifyCheckpointComplete(1);                     // commits 30, not the newer 50
        }
        Assert.Equal(30, Committed(bs, "snapshots"));

        var other = Source(bs, KafkaStartMode.Earliest, group: "snapshots2");
        using (var reader = other.CreateReader(Context))
        {
            reader.AddSplits(splits);
            await Read(reader, 10);
            reader.SnapshotSplits();                                 // checkpoint 1: 10
            reader.NotifyCheckpointComplete(1);
            await Read(reader, 15);
            reader.SnapshotSplits();                                 // checkpoint 2: 25
            await Read(reader, 5);
            reader.SnapshotSplits();                                 // checkpoint 3: 30
            reader.NotifyCheckpointComplete(2);                      // commits 25: the latest snapshot at or below 2
        }
        Assert.Equal(25, Committed(bs, "snapshots2"));
    }

    private static long Committed(string bootstrap, string group)
    {
        using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(KafkaClientDefaults.Consumer(bootstrap, group)).Build();
        return consumer.Committed([new Confluent.Kafka.TopicPartition("t", 0)], TimeSpan.FromSeconds(10))[0].Offset.Value;
    }
}
