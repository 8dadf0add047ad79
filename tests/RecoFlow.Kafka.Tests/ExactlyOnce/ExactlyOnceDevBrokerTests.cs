using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using Xunit.Abstractions;

namespace RecoFlow.Kafka.Tests.ExactlyOnce;

/// <summary>
/// What the development broker can show of the exactly-once sink's recovery. It does not isolate transactions (see
/// docs/dev-broker.md): read_committed and read_uncommitted consumers both see every record written, committed or
/// aborted, and a commit marker is found as soon as it was written. So the counts of unique ids prove that nothing is
/// lost, and duplicates are expected; that nothing is duplicated for a read_committed reader is proven by
/// <see cref="KafkaTransactionCoordinatorTests"/>.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ExactlyOnceDevBrokerTests(ITestOutputHelper output)
{
    private static List<string> ReadToEnd(string bootstrap, string topic, IsolationLevel isolation)
    {
        var config = KafkaClientDefaults.Consumer(bootstrap, "verify-" + Guid.NewGuid().ToString("N"));
        config.EnablePartitionEof = true;
        config.IsolationLevel = isolation;
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(bootstrap)).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single(t => t.Topic == topic).Partitions.Select(p => p.PartitionId).ToList();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = new List<string>();
        var ended = new HashSet<int>();
        var clock = Stopwatch.StartNew();
        while (ended.Count < partitions.Count)
        {
            Assert.True(clock.Elapsed < KafkaTestData.TestTimeout, $"{topic} not read to its end");
            var r = consumer.Consume(200);
            if (r is null) continue;
            if (r.IsPartitionEOF) ended.Add(r.Partition.Value);
            else values.Add(Encoding.UTF8.GetString(r.Message.Value));
        }
        return values;
    }

    private static KafkaSink<string> Sink(string bootstrap, LogCapture log) => new(new KafkaSinkOptions
    {
        BootstrapServers = bootstrap,
        Topic = "out",
        Delivery = KafkaDeliveryGuarantee.ExactlyOnce,
        TransactionalIdPrefix = "eo",
        Log = log.Log,
    }, KafkaSerializers.Utf8String(), keySelector: v => v);

    [Fact]
    public async Task A_writer_that_dies_after_its_checkpoint_completed_loses_nothing_and_the_marker_is_read_back()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1, Topics = [("out", 3)] });
        var log = new LogCapture();
        var context = new SinkContext(0, 1, "op", new Dictionary<string, string>(), null);
        var dead = (TransactionalKafkaWriter<string>)Sink(broker.BootstrapServers, log).CreateWriter(context);
        dead.Recover([]);
        for (var i = 0; i < 50; i++) dead.Write($"id{i}", Watermark.NoTimestamp);
        var handle = dead.PrepareCommit(1); // checkpoint 1 completes; the process dies before the notification

        using (var recovered = (TransactionalKafkaWriter<string>)Sink(broker.BootstrapServers, log).CreateWriter(context))
        {
            recovered.Recover([handle]);
            // The marker was written with the records: without isolation the dev broker shows it, so nothing is sent again
            // (against a real broker the fenced, aborted transaction's marker is invisible and the records are re-sent).
            Assert.Equal(new KafkaTransactionRecovery.Outcome(1, 0, 0, 0), recovered.Recovered);
        }
        dead.Dispose();
        var values = ReadToEnd(broker.BootstrapServers, "out", IsolationLevel.ReadUncommitted);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"id{i}").Order(), values.Order());
        Assert.Single(ReadToEnd(broker.BootstrapServers, "eo.commits", IsolationLevel.ReadUncommitted));
    }

    [SharedAcrossSubtasks]
    private sealed class Chaos(IEnumerable<long> failAt)
    {
        private readonly HashSet<long> _failAt = [.. failAt];
        private long _seen;

        public string Pass(string v)
        {
            var n = Interlocked.Increment(ref _seen);
            if (_failAt.Remove(n)) throw new InvalidOperationException($"chaos: failing at record {n}");
            return v;
        }
    }

    [Fact]
    public async Task A_job_failing_mid_stream_writes_every_id_at_least_once()
    {
        const int count = 20_000;
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1, Topics = [("out", 3)] });
        var dir = Directory.CreateTempSubdirectory("recoflow-eo-").FullName;
        try
        {
            var ids = Enumerable.Range(0, count).Select(i => $"id{i}").ToList();
            var job = new StreamJob("eo-kafka").WithDefaultParallelism(2);
            job.FromSource(new RateLimitedSource<string>(new CollectionSource<string>(ids, splits: 2), 5_000), WatermarkStrategy<string>.NoWatermarks(), "ids")
                // Counted over all attempts, below the 20,000 records the map sees at least: each failure happens.
                .Map(new Chaos([4_000, 9_000, 14_000]).Pass, "chaos")
                .SinkTo(new KafkaSink<string>(new KafkaSinkOptions
                {
                    BootstrapServers = broker.BootstrapServers, Topic = "out", Delivery = KafkaDeliveryGuarantee.ExactlyOnce,
                }, KafkaSerializers.Utf8String(), keySelector: v => v));
            await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(dir, "ck.db")));
            var client = runtime.Submit(job.Build(), new JobRunOptions
            {
                Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(200) },
                RestartStrategy = RestartStrategy.FixedDelay(10, TimeSpan.FromMilliseconds(50)),
            });
            var result = await client.Completion.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(JobState.Finished, result.State);
            Assert.Equal(3, client.Metrics.Failures.Count);

            var uncommitted = ReadToEnd(broker.BootstrapServers, "out", IsolationLevel.ReadUncommitted);
            var committed = ReadToEnd(broker.BootstrapServers, "out", IsolationLevel.ReadCommitted);
            output.WriteLine($"read_uncommitted: {uncommitted.Count} records, {uncommitted.Distinct().Count()} unique; read_committed: {committed.Count} records, {committed.Distinct().Count()} unique");
            Assert.Equal(count, uncommitted.Distinct().Count());
            Assert.True(uncommitted.All(ids.Contains));
            Assert.Equal(count, committed.Distinct().Count());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
