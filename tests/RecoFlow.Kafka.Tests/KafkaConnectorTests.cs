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

    [Fact]
    public async Task Transactional_writer_holds_records_after_prepare_until_commit_and_recovers()
    {
        await using var broker = Broker(("tx", 2));
        var log = new LogCapture();
        var sink = new KafkaSink<string>(new KafkaSinkOptions
        {
            BootstrapServers = broker.BootstrapServers,
            Topic = "tx",
            Delivery = KafkaDeliveryGuarantee.ExactlyOnce,
            TransactionalIdPrefix = "test-tx",
            Log = log.Log,
        }, KafkaSerializers.Utf8String());
        var context = new SinkContext(0, 1, "op", new Dictionary<string, string>(), null);
        using (var writer = (ITwoPhaseCommitSinkWriter<string>)sink.CreateWriter(context))
        {
            writer.Recover([]);
            for (var i = 0; i < 10; i++) writer.Write($"a{i}", Watermark.NoTimestamp);
            var handle = writer.PrepareCommit(1);
            Assert.Equal(new KafkaTransactionHandle("test-tx-0", 1), KafkaTransactionHandle.FromBytes(handle));
            Assert.Equal(10, ConsumeAll(broker.BootstrapServers, "tx", 10).Count);
            for (var i = 0; i < 5; i++) writer.Write($"b{i}", Watermark.NoTimestamp); // held: transaction 1 is prepared
            Assert.Equal(10, ConsumeAll(broker.BootstrapServers, "tx", 11, TimeSpan.FromSeconds(1)).Count(r => r.Message.Value.Length > 0));
            writer.Commit(1, [handle]);
            var h2 = writer.PrepareCommit(2);
            writer.Commit(2, [h2]);
            writer.Commit(2, [h2]); // idempotent
        }
        var values = ConsumeAll(broker.BootstrapServers, "tx", 15).Select(r => Encoding.UTF8.GetString(r.Message.Value)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"a{i}").Concat(Enumerable.Range(0, 5).Select(i => $"b{i}")).Order().ToList(), values);

        // A new writer with the same transactional id fences the old one and starts clean.
        using var again = (ITwoPhaseCommitSinkWriter<string>)sink.CreateWriter(context);
        again.Recover([new KafkaTransactionHandle("test-tx-0", 2).ToBytes()]);
        again.Write("c0", Watermark.NoTimestamp);
        again.Flush(endOfInput: true);
        Assert.Contains("c0", ConsumeAll(broker.BootstrapServers, "tx", 16).Select(r => Encoding.UTF8.GetString(r.Message.Value)));
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
