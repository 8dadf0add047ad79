using System.Collections.Concurrent;
using System.Text;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;
using static RecoFlow.Kafka.Tests.KafkaTestData;

namespace RecoFlow.Kafka.Tests;

[Trait("Category", "Slow")]
public sealed class KafkaConnectorTests
{
    private static DevKafkaBroker Broker(params (string, int)[] topics) =>
        DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 2, Topics = topics });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Bounded_source_counts_per_user_in_event_time_windows_match_independent_count(int parallelism)
    {
        await using var broker = Broker(("events", 6));
        var events = Events(partitions: 6, count: 6_000, users: 30, seed: 7);
        Produce(broker.BootstrapServers, "events", events.Select(x => (x.Partition, (string?)x.Event.UserId, Json(x.Event), x.Event.Ts)).ToList());

        var assigned = new ConcurrentDictionary<int, IReadOnlyList<SourceSplit>>();
        var log = new LogCapture();
        var source = KafkaSource.Json<ClickEvent>(new KafkaSourceOptions
        {
            BootstrapServers = broker.BootstrapServers,
            Topics = ["events"],
            StopAt = KafkaStopMode.Latest,
            Log = log.Log,
            OnSplitsAssigned = (subtask, splits) => assigned[subtask] = splits,
        });
        var job = new StreamJob("kafka-count").WithDefaultParallelism(parallelism);
        var sink = new CollectSink<(string User, long Start, long Count)>();
        var late = new OutputTag<ClickEvent>("late");
        var lateSink = new CollectSink<ClickEvent>();
        var counted = job.FromSource(source, Watermarks(), "kafka")
            .KeyBy(e => e.UserId)
            .Window(Api.Windows.TumblingWindows<ClickEvent>.OfEventTime(TimeSpan.FromMilliseconds(WindowMs)))
            .SideOutputLateData(late)
            .Aggregate(new Api.Functions.CountAggregate<ClickEvent>(), (user, w, n) => (user, w.Start, n));
        counted.SinkTo(sink);
        counted.GetSideOutput(late).SinkTo(lateSink);

        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        var result = await client.WaitAsync().WaitAsync(TestTimeout);
        Assert.Equal(JobState.Finished, result.State);

        Assert.Empty(lateSink.Items); // jitter < bound per partition, watermarks per partition: nothing is late
        var expected = ExpectedCounts(events.Select(e => e.Event));
        var actual = sink.Items.ToDictionary(r => (r.User, r.Start), r => r.Count);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (k, v) in expected) Assert.Equal(v, actual[k]);
        Assert.Equal(events.Count, actual.Values.Sum());

        // One split per partition, spread round-robin over the source subtasks.
        Assert.Equal(parallelism, assigned.Count);
        var all = assigned.Values.SelectMany(s => s.Select(x => x.SplitId)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 6).Select(p => $"events-{p}").Order().ToList(), all);
        foreach (var (_, splits) in assigned) Assert.Equal(6 / parallelism, splits.Count);
        Assert.Equal(0, client.DeadLetterCount);
    }

    [Fact]
    public async Task Malformed_records_go_to_the_dead_letter_topic_with_headers_and_the_rest_is_counted()
    {
        await using var broker = Broker(("raw", 3), ("raw.dlq", 1));
        var events = Events(partitions: 3, count: 900, users: 9, seed: 11);
        var messages = events.Select(x => (x.Partition, (string?)x.Event.UserId, Json(x.Event), x.Event.Ts)).ToList();
        string[] bad = ["{not json", "", "[1,2,3]", "{\"user_id\": 5, \"ts\": \"soon\"}", "null", "{\"user_id\":\"u1\",\"ts\":"];
        var badAt = new List<int>();
        for (var i = 0; i < bad.Length; i++)
        {
            var at = 100 + i * 120;
            messages.Insert(at, (i % 3, null, Encoding.UTF8.GetBytes(bad[i]), events[0].Event.Ts + at * 37L));
            badAt.Add(at);
        }
        var offsets = Produce(broker.BootstrapServers, "raw", messages);
        var badOffsets = badAt.Select(i => offsets[i]).ToHashSet();

        var source = KafkaSource.Json<ClickEvent>(new KafkaSourceOptions
        {
            BootstrapServers = broker.BootstrapServers,
            Topics = ["raw"],
            StopAt = KafkaStopMode.Latest,
            Log = new LogCapture().Log,
        });
        var job = new StreamJob("kafka-dlq").WithDefaultParallelism(2);
        var sink = new CollectSink<(string User, long Start, long Count)>();
        CountPerUser(job.FromSource(source, Watermarks(), "kafka")).SinkTo(sink);
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        Assert.Equal(JobState.Finished, (await client.WaitAsync().WaitAsync(TestTimeout)).State);

        var expected = ExpectedCounts(events.Select(e => e.Event));
        Assert.Equal(expected, sink.Items.ToDictionary(r => (r.User, r.Start), r => r.Count));
        Assert.Equal(bad.Length, client.DeadLetterCount);

        var dlq = ConsumeAll(broker.BootstrapServers, "raw.dlq", bad.Length);
        Assert.Equal(bad.Length, dlq.Count);
        var seen = new HashSet<(int, long)>();
        foreach (var r in dlq)
        {
            string H(string name) => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes(name));
            Assert.Equal("raw", H("topic"));
            Assert.False(string.IsNullOrWhiteSpace(H("error")));
            var where = (int.Parse(H("partition")), long.Parse(H("offset")));
            Assert.Contains(where, badOffsets);
            seen.Add(where);
            Assert.Contains(Encoding.UTF8.GetString(r.Message.Value ?? []), bad);
        }
        Assert.Equal(badOffsets, seen);
    }

    [Fact]
    public async Task Windows_close_on_an_unbounded_source_while_one_partition_stays_empty_with_idleness()
    {
        await using var broker = Broker(("live", 4));
        var source = KafkaSource.Json<ClickEvent>(new KafkaSourceOptions { BootstrapServers = broker.BootstrapServers, Topics = ["live"], Log = new LogCapture().Log });
        var job = new StreamJob("kafka-idle").WithDefaultParallelism(1);
        var sink = new CollectSink<(string User, long Start, long Count)>();
        CountPerUser(job.FromSource(source, Watermarks().WithIdleness(TimeSpan.FromMilliseconds(300)), "kafka")).SinkTo(sink);
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());

        // A live stream on partitions 0..2 (user u<p>), one event per partition per 500 ms of event time; partition 3 gets nothing.
        const long baseTs = 1_700_000_000_000 - 1_700_000_000_000 % WindowMs;
        using var producer = new Confluent.Kafka.ProducerBuilder<byte[], byte[]>(KafkaClientDefaults.Producer(broker.BootstrapServers)).Build();
        using var stop = new CancellationTokenSource();
        var produce = Task.Run(async () =>
        {
            for (var step = 0L; !stop.IsCancellationRequested; step++)
            {
                for (var p = 0; p < 3; p++)
                {
                    var e = new ClickEvent($"u{p}", baseTs + step * 500, "view");
                    producer.Produce(new Confluent.Kafka.TopicPartition("live", p), new Confluent.Kafka.Message<byte[], byte[]> { Value = Json(e), Timestamp = new Confluent.Kafka.Timestamp(e.Ts, Confluent.Kafka.TimestampType.CreateTime) });
                }
                await Task.Delay(5); // pacing of the generator: the stream stays live
            }
        });

        await WaitUntil(() => sink.Count >= 9 || client.Completion.IsCompleted, TestTimeout, () => $"{sink.Count} window results");
        stop.Cancel();
        await produce;
        Assert.False(client.Completion.IsCompleted, "the unbounded job ended on its own");
        client.Cancel();
        Assert.Equal(JobState.Canceled, (await client.Completion.WaitAsync(TestTimeout)).State);

        // Every closed window holds exactly 20 events (10 s / 500 ms) of its user.
        foreach (var (user, start, count) in sink.Items)
        {
            Assert.Contains(user, new[] { "u0", "u1", "u2" });
            Assert.Equal(0, (start - baseTs) % WindowMs);
            Assert.Equal(20, count);
        }
    }

    [Theory]
    [InlineData(KafkaDeliveryGuarantee.AtLeastOnce)]
    [InlineData(KafkaDeliveryGuarantee.None)]
    [InlineData(KafkaDeliveryGuarantee.ExactlyOnce)]
    public async Task Sink_writes_and_the_records_read_back(KafkaDeliveryGuarantee delivery)
    {
        await using var broker = Broker(("out", 4));
        var events = Events(partitions: 1, count: 2_000, users: 12, seed: 3).Select(x => x.Event).ToList();
        var job = new StreamJob("kafka-sink").WithDefaultParallelism(2);
        job.FromSource(new CollectionSource<ClickEvent>(events, e => e.Ts, splits: 2), WatermarkStrategy<ClickEvent>.NoWatermarks(), "events")
            .SinkTo(new KafkaSink<ClickEvent>(new KafkaSinkOptions { BootstrapServers = broker.BootstrapServers, Topic = "out", Delivery = delivery }, keySelector: e => e.UserId));
        await using var runtime = LocalRuntime.Start();
        Assert.Equal(JobState.Finished, (await runtime.Submit(job.Build()).WaitAsync().WaitAsync(TestTimeout)).State);

        var back = ConsumeAll(broker.BootstrapServers, "out", events.Count);
        Assert.Equal(events.Count, back.Count);
        var read = back.Select(r => System.Text.Json.JsonSerializer.Deserialize<ClickEvent>(r.Message.Value, KafkaJson.Options)!).ToList();
        Assert.Equal(events.OrderBy(e => e.Ts).ThenBy(e => e.UserId), read.OrderBy(e => e.Ts).ThenBy(e => e.UserId));
        foreach (var r in back)
        {
            var e = System.Text.Json.JsonSerializer.Deserialize<ClickEvent>(r.Message.Value, KafkaJson.Options)!;
            Assert.Equal(e.UserId, Encoding.UTF8.GetString(r.Message.Key));
            Assert.Equal(e.Ts, r.Message.Timestamp.UnixTimestampMs);
        }
        // Keyed: all records of a user are in one partition.
        Assert.All(back.GroupBy(r => Encoding.UTF8.GetString(r.Message.Key)), g => Assert.Single(g.Select(r => r.Partition.Value).Distinct()));
    }

    private static KafkaSink<string> TransactionalSink(DevKafkaBroker broker, string topic, int poolSize, LogCapture? log = null) =>
        new(new KafkaSinkOptions
        {
            BootstrapServers = broker.BootstrapServers,
            Topic = topic,
            Delivery = KafkaDeliveryGuarantee.ExactlyOnce,
            TransactionalIdPrefix = "test-tx",
            TransactionalProducerPoolSize = poolSize,
            Log = (log ?? new LogCapture()).Log,
        }, KafkaSerializers.Utf8String());

    private static TransactionalKafkaWriter<string> TransactionalWriter(KafkaSink<string> sink, int subtask = 0, int parallelism = 1) =>
        (TransactionalKafkaWriter<string>)sink.CreateWriter(new SinkContext(subtask, parallelism, "op", new Dictionary<string, string>(), null));

    private static List<string> Values(DevKafkaBroker broker, string topic, int expected, TimeSpan? timeout = null) =>
        ConsumeAll(broker.BootstrapServers, topic, expected, timeout).Select(r => Encoding.UTF8.GetString(r.Message.Value)).Order().ToList();

    private static IEnumerable<string> Named(string name, int count) => Enumerable.Range(0, count).Select(i => $"{name}{i}");

    [Fact]
    public async Task Transactional_writer_produces_records_after_a_barrier_before_the_checkpoint_completes()
    {
        await using var broker = Broker(("tx", 2));
        using (var writer = TransactionalWriter(TransactionalSink(broker, "tx", poolSize: 3)))
        {
            Assert.Equal(["test-tx-0-0", "test-tx-0-1", "test-tx-0-2"], writer.TransactionalIds);
            writer.Recover([]);
            foreach (var v in Named("a", 10)) writer.Write(v, Watermark.NoTimestamp);
            var h1 = KafkaTransactionHandle.FromBytes(writer.PrepareCommit(1));
            Assert.Equal(("test-tx-0-0", 1L, 0, 3), (h1.TransactionalId, h1.Epoch, h1.Subtask, h1.PoolSize));
            Assert.Equal(Named("a", 10), h1.Records.Select(r => Encoding.UTF8.GetString(r.Value)));
            Assert.Equal("test-tx.commits", h1.Marker!.Topic);
            // Checkpoint 1 has not completed: the next records go into a transaction on the next producer right away.
            foreach (var v in Named("b", 5)) writer.Write(v, Watermark.NoTimestamp);
            Assert.Equal(0, writer.HeldRecords);
            writer.Flush(endOfInput: false);
            Assert.Equal(Named("a", 10).Concat(Named("b", 5)).Order(), Values(broker, "tx", 15));
            var h2 = KafkaTransactionHandle.FromBytes(writer.PrepareCommit(2));
            Assert.Equal("test-tx-0-1", h2.TransactionalId);
            Assert.Equal(2, writer.PreparedTransactions);
            writer.Commit(1, [h1.ToBytes()]); // after barrier 2: commits transaction 1 only
            Assert.Equal(1, writer.PreparedTransactions);
            writer.Commit(1, [h1.ToBytes()]); // idempotent
            Assert.Equal(1, writer.PreparedTransactions);
            writer.Commit(2, [h2.ToBytes()]);
            Assert.Equal(0, writer.PreparedTransactions);
            // The committed producer went back to the pool: slot 2 is next, then slot 0 again.
            Assert.Equal("test-tx-0-2", KafkaTransactionHandle.FromBytes(writer.PrepareCommit(3)).TransactionalId);
            Assert.Equal("test-tx-0-0", KafkaTransactionHandle.FromBytes(writer.PrepareCommit(4)).TransactionalId);
            writer.Commit(4, []); // checkpoint 3 never completed: 4 commits both, oldest first
            Assert.Equal(0, writer.PreparedTransactions);
        }

        // A new writer with the same transactional ids fences the old ones and starts clean.
        using var again = TransactionalWriter(TransactionalSink(broker, "tx", poolSize: 3));
        again.Recover([new KafkaTransactionHandle("test-tx-0-1", 2, 0, 3).ToBytes()]);
        again.Write("c0", Watermark.NoTimestamp);
        again.Flush(endOfInput: true);
        Assert.Contains("c0", Values(broker, "tx", 16));
    }

    [Fact]
    public async Task Transactional_writer_holds_records_only_when_every_producer_waits_for_a_commit()
    {
        await using var broker = Broker(("tx", 2));
        using var writer = TransactionalWriter(TransactionalSink(broker, "tx", poolSize: 2));
        writer.Recover([]);
        foreach (var v in Named("a", 3)) writer.Write(v, Watermark.NoTimestamp);
        var h1 = writer.PrepareCommit(1);
        foreach (var v in Named("b", 3)) writer.Write(v, Watermark.NoTimestamp);
        var h2 = KafkaTransactionHandle.FromBytes(writer.PrepareCommit(2));
        // Both producers hold a prepared transaction: records are held in memory.
        foreach (var v in Named("c", 4)) writer.Write(v, Watermark.NoTimestamp);
        Assert.Equal(4, writer.HeldRecords);
        // On the broker (read_uncommitted): the six records of the two prepared transactions, none of the held ones. Read
        // until six arrived (a fresh consumer's first fetch may take seconds on a busy machine), then check which.
        Assert.Equal(Named("a", 3).Concat(Named("b", 3)).Order(), Values(broker, "tx", 6));
        // Checkpoint 1 completes: its producer is free again and takes the held records.
        writer.Commit(1, [h1]);
        Assert.Equal(0, writer.HeldRecords);
        writer.Flush(endOfInput: false);
        Assert.Equal(Named("a", 3).Concat(Named("b", 3)).Concat(Named("c", 4)).Order(), Values(broker, "tx", 10));
        var h3 = KafkaTransactionHandle.FromBytes(writer.PrepareCommit(3));
        Assert.Equal("test-tx-0-0", h3.TransactionalId);

        // Neither 2 nor 3 completes before barrier 4: its records are held, then folded into transaction 3, which
        // becomes epoch 4's (same producer), so completing checkpoint 3 must not commit it.
        foreach (var v in Named("d", 2)) writer.Write(v, Watermark.NoTimestamp);
        Assert.Equal(2, writer.HeldRecords);
        var h4 = KafkaTransactionHandle.FromBytes(writer.PrepareCommit(4));
        Assert.Equal(0, writer.HeldRecords);
        Assert.Equal(h3.TransactionalId, h4.TransactionalId);
        Assert.Equal(12, Values(broker, "tx", 12).Count);
        writer.Commit(3, [h2.ToBytes(), h3.ToBytes()]);
        Assert.Equal(1, writer.PreparedTransactions); // 2 committed; the transaction of 3 now belongs to 4
        foreach (var v in Named("e", 2)) writer.Write(v, Watermark.NoTimestamp);
        Assert.Equal(0, writer.HeldRecords); // producer of 2 is free again
        writer.Commit(4, [h4.ToBytes()]);
        Assert.Equal(0, writer.PreparedTransactions);
    }

    // The dev broker does not reject a fenced producer (its commit still succeeds), so these tests check on which
    // transactional ids recovery ran InitTransactions.
    [Fact]
    public async Task Transactional_writer_recovery_fences_every_slot_of_its_pool_and_of_the_previous_one()
    {
        await using var broker = Broker(("tx", 2));
        byte[] h2, h3;
        using (var old = TransactionalWriter(TransactionalSink(broker, "tx", poolSize: 3)))
        {
            old.Recover([]);
            Assert.Equal(["test-tx-0-0", "test-tx-0-1", "test-tx-0-2"], old.FencedTransactionalIds);
            old.Write("a", Watermark.NoTimestamp);
            old.Commit(1, [old.PrepareCommit(1)]);
            old.Write("b", Watermark.NoTimestamp);
            h2 = old.PrepareCommit(2);
            old.Write("c", Watermark.NoTimestamp);
            h3 = old.PrepareCommit(3);
        }

        // A restart with a smaller pool fences the old pool's higher slots too (their size is in the restored handles) ...
        using (var smaller = TransactionalWriter(TransactionalSink(broker, "tx", poolSize: 1)))
        {
            smaller.Recover([h2, h3]);
            Assert.Equal(["test-tx-0-0", "test-tx-0-1", "test-tx-0-2"], smaller.FencedTransactionalIds.Order());
        }
        // ... but without handles it cannot know them.
        using (var blind = TransactionalWriter(TransactionalSink(broker, "tx", poolSize: 1)))
        {
            blind.Recover([]);
            Assert.Equal(["test-tx-0-0"], blind.FencedTransactionalIds);
        }
        // After a scale-down from 3 to 2 subtasks, subtask 0 also fences former subtask 2's ids, and not subtask 1's.
        using (var scaled = TransactionalWriter(TransactionalSink(broker, "tx", poolSize: 2), subtask: 0, parallelism: 2))
        {
            scaled.Recover([new KafkaTransactionHandle("test-tx-0-1", 5, 0, 2).ToBytes(), new KafkaTransactionHandle("test-tx-1-0", 5, 1, 2).ToBytes(),
                new KafkaTransactionHandle("test-tx-2-1", 5, 2, 2).ToBytes()]);
            Assert.Equal(["test-tx-0-0", "test-tx-0-1", "test-tx-2-0", "test-tx-2-1"], scaled.FencedTransactionalIds.Order());
        }
        // A handle of the single-producer writer (before the pool) names its id, which is fenced as well.
        using (var upgraded = TransactionalWriter(TransactionalSink(broker, "tx", poolSize: 2)))
        {
            upgraded.Recover([new KafkaTransactionHandle("test-tx-0", 7).ToBytes(), new KafkaTransactionHandle("test-tx-1", 7).ToBytes()]);
            Assert.Equal(["test-tx-0", "test-tx-0-0", "test-tx-0-1"], upgraded.FencedTransactionalIds.Order());
        }
    }

    [Fact]
    public async Task Job_started_before_the_broker_waits_and_then_processes_everything()
    {
        var port = TestPorts.FreeRange(1);
        var bootstrap = $"127.0.0.1:{port}";
        var log = new LogCapture();
        var source = KafkaSource.Json<ClickEvent>(new KafkaSourceOptions
        {
            BootstrapServers = bootstrap,
            Topics = ["late"],
            RequestTimeout = TimeSpan.FromSeconds(1),
            Log = log.Log,
        });
        var job = new StreamJob("kafka-late-broker").WithDefaultParallelism(2);
        var sink = new CollectSink<ClickEvent>();
        job.FromSource(source, Watermarks(), "kafka").SinkTo(sink);
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());

        // The job is up and waiting for the broker (it logs so) before the broker exists.
        await WaitUntil(() => log.Contains("waiting for Kafka") || client.Completion.IsCompleted, TestTimeout, () => string.Join("\n", log.Lines));
        Assert.False(client.Completion.IsCompleted, "job ended while the broker was down");
        await using var host = await DevBrokerHostProcess.StartAsync(port, brokers: 1, ["late:3"], TestTimeout);
        var events = Events(partitions: 3, count: 600, users: 6, seed: 5);
        Produce(host.BootstrapServers, "late", events.Select(x => (x.Partition, (string?)x.Event.UserId, Json(x.Event), x.Event.Ts)).ToList());

        await WaitUntil(() => sink.Count >= events.Count || client.Completion.IsCompleted, TestTimeout, () => $"{sink.Count}/{events.Count} records; log:\n{string.Join("\n", log.Lines.TakeLast(20))}");
        Assert.False(client.Completion.IsCompleted, client.Completion.IsCompleted ? $"job ended: {(await client.Completion).Failure}" : "");
        Assert.Equal(events.Select(e => e.Event).OrderBy(e => e.Ts).ThenBy(e => e.UserId), sink.Items.OrderBy(e => e.Ts).ThenBy(e => e.UserId));
        client.Cancel();
        Assert.Equal(JobState.Canceled, (await client.Completion.WaitAsync(TestTimeout)).State);
    }

    [Fact]
    public async Task Tools_produce_a_json_lines_file_with_keys_and_consume_it_back()
    {
        await using var broker = Broker(("lines", 3));
        var file = Path.Combine(Path.GetTempPath(), $"recoflow-lines-{Guid.NewGuid():N}.jsonl");
        var events = Events(partitions: 1, count: 300, users: 5, seed: 9).Select(x => x.Event).ToList();
        await File.WriteAllLinesAsync(file, events.Select(e => Encoding.UTF8.GetString(Json(e))).Append(""));
        try
        {
            var log = new StringWriter();
            var produced = await KafkaTools.ProduceFileAsync(broker.BootstrapServers, "lines", file, ratePerSecond: 3000, keyField: "user_id", log, CancellationToken.None);
            Assert.Equal(events.Count, produced);
            Assert.Contains($"produced {events.Count} message(s) to lines", log.ToString());

            var back = ConsumeAll(broker.BootstrapServers, "lines", events.Count);
            Assert.All(back, r => Assert.Equal(System.Text.Json.JsonSerializer.Deserialize<ClickEvent>(r.Message.Value, KafkaJson.Options)!.UserId, Encoding.UTF8.GetString(r.Message.Key)));

            var output = new StringWriter();
            using var cts = new CancellationTokenSource(TestTimeout);
            var printed = await KafkaTools.ConsumeAsync(broker.BootstrapServers, "lines", fromBeginning: true, max: events.Count, output, cts.Token);
            Assert.Equal(events.Count, printed);
            var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(events.Select(e => Encoding.UTF8.GetString(Json(e))).Order(), lines.Order());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
