using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;

namespace RecoFlow.Kafka.Tests;

[Trait("Category", "Slow")]
public sealed class DevKafkaBrokerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Produces_and_consumes_every_message_per_partition_through_the_fixed_ports(int brokers)
    {
        var port = TestPorts.FreeRange(brokers);
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions
        {
            Port = port, Brokers = brokers, Topics = [("orders", 6)],
        });

        var expectedBootstrap = string.Join(",", Enumerable.Range(port, brokers).Select(p => $"127.0.0.1:{p}"));
        Assert.Equal(expectedBootstrap, broker.BootstrapServers);

        // Metadata must advertise the fixed ports (broker i on port + i - 1), not the mock's random ones.
        using (var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(broker.BootstrapServers)).Build())
        {
            var metadata = admin.GetMetadata("orders", TimeSpan.FromSeconds(30));
            Assert.Equal(
                Enumerable.Range(1, brokers).Select(id => (id, "127.0.0.1", port + id - 1)),
                metadata.Brokers.Select(b => (b.BrokerId, b.Host, b.Port)).OrderBy(b => b.BrokerId));
            Assert.Equal(6, Assert.Single(metadata.Topics).Partitions.Count);
        }

        const int perPartition = 500;
        var expected = KafkaRoundTrip.Produce(broker.BootstrapServers, "orders", 6, perPartition);
        var received = KafkaRoundTrip.ConsumeAll(broker.BootstrapServers, "orders", 6, 6 * perPartition);

        for (var p = 0; p < 6; p++)
        {
            Assert.Equal(perPartition, received[p].Count);
            Assert.Equal(expected[p], received[p]);
        }
    }

    [Fact]
    public async Task Two_consumers_in_one_group_split_the_partitions()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Topics = [("events", 6)] });
        var group = "group-" + Guid.NewGuid().ToString("N");
        using var stop = new CancellationTokenSource();
        var members = Enumerable.Range(0, 2).Select(_ => new GroupMember()).ToArray();
        var loops = members.Select(m => Task.Factory.StartNew(
            () => m.Run(broker.BootstrapServers, group, "events", stop.Token),
            TaskCreationOptions.LongRunning)).ToArray();
        try
        {
            // Wait until the group settled: both members own partitions, disjoint, covering all six.
            await WaitUntil(() =>
            {
                var a = members[0].Assignment;
                var b = members[1].Assignment;
                return a.Count > 0 && b.Count > 0 && a.Count + b.Count == 6 && a.Union(b).Count() == 6;
            }, TimeSpan.FromSeconds(60), () => $"assignments: [{string.Join(",", members[0].Assignment)}] " +
                                              $"[{string.Join(",", members[1].Assignment)}]", loops);

            const int perPartition = 100;
            KafkaRoundTrip.Produce(broker.BootstrapServers, "events", 6, perPartition);
            await WaitUntil(() => members.Sum(m => m.Received.Count) >= 6 * perPartition, TimeSpan.FromSeconds(60),
                () => $"received {members[0].Received.Count} + {members[1].Received.Count}", loops);

            var all = members.SelectMany(m => m.Received.Select(r => r.Value)).ToList();
            Assert.Equal(6 * perPartition, all.Count);
            Assert.Equal(all.Count, all.Distinct().Count());
            foreach (var member in members)
            {
                var owned = member.Assignment;
                var partitionsSeen = member.Received.Select(r => r.Partition).Distinct().Order().ToList();
                Assert.Equal(owned.Order().ToList(), partitionsSeen);
                Assert.Equal(owned.Count * perPartition, member.Received.Count);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops);
        }
    }

    [Fact]
    public async Task A_second_broker_on_a_port_in_use_fails_naming_the_port()
    {
        var port = TestPorts.FreeRange(2);
        await using var first = DevKafkaBroker.Start(new DevBrokerOptions { Port = port + 1 });

        var same = Assert.Throws<IOException>(() => DevKafkaBroker.Start(new DevBrokerOptions { Port = port + 1 }));
        Assert.Contains($"port {port + 1}", same.Message);
        Assert.Contains("already in use", same.Message);

        // Broker 2 of a two-broker cluster collides: the error names that port, and broker 1's port is released.
        var second = Assert.Throws<IOException>(() => DevKafkaBroker.Start(new DevBrokerOptions { Port = port, Brokers = 2 }));
        Assert.Contains($"port {port + 1}", second.Message);
        Assert.True(TestPorts.IsFree(port), $"port {port} was left bound after the failed start");

        // The first broker is unaffected.
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(first.BootstrapServers)).Build();
        Assert.Single(admin.GetMetadata(TimeSpan.FromSeconds(30)).Brokers);
    }

    [Fact]
    public async Task Disposing_frees_the_port_and_a_new_broker_starts_empty_on_it()
    {
        var port = TestPorts.FreeRange(1);
        var first = DevKafkaBroker.Start(new DevBrokerOptions { Port = port, Topics = [("t", 2)] });
        KafkaRoundTrip.Produce(first.BootstrapServers, "t", 2, 10);
        await first.DisposeAsync();
        await first.DisposeAsync(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => first.CreateTopic("later", 1));
        Assert.True(TestPorts.IsFree(port), $"port {port} still bound after DisposeAsync");

        await using var second = DevKafkaBroker.Start(new DevBrokerOptions { Port = port, Topics = [("t", 2)] });
        Assert.Equal($"127.0.0.1:{port}", second.BootstrapServers);
        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(KafkaClientDefaults.Consumer(second.BootstrapServers, "wm")).Build())
        {
            var wm = consumer.QueryWatermarkOffsets(new TopicPartition("t", 0), TimeSpan.FromSeconds(30));
            Assert.Equal(0, wm.High.Value); // memory only: the old data is gone
        }

        var expected = KafkaRoundTrip.Produce(second.BootstrapServers, "t", 2, 5);
        var received = KafkaRoundTrip.ConsumeAll(second.BootstrapServers, "t", 2, 10);
        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task CreateTopic_adds_a_topic_and_rejects_duplicates()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0 });
        broker.CreateTopic("late", 4);
        Assert.Equal(4, broker.Topics["late"]);
        var dup = Assert.Throws<InvalidOperationException>(() => broker.CreateTopic("late", 4));
        Assert.Contains("late", dup.Message);

        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(broker.BootstrapServers)).Build();
        Assert.Equal(4, Assert.Single(admin.GetMetadata("late", TimeSpan.FromSeconds(30)).Topics).Partitions.Count);
    }

    [Fact]
    public async Task DevBrokerCommand_prints_bootstrap_and_topics_and_stops_on_cancel()
    {
        var port = TestPorts.FreeRange(1);
        using var cts = new CancellationTokenSource();
        var output = new LineWriter();
        var run = DevBrokerCommand.RunAsync(
            new DevBrokerOptions { Port = port, Topics = [("b", 2), ("a", 6)] }, cts.Token, output);

        await WaitUntil(() => output.Lines.Count >= 2, TimeSpan.FromSeconds(30), () => string.Join("|", output.Lines), run);
        Assert.Equal([$"bootstrap.servers=127.0.0.1:{port}", "topics=a:6,b:2"], output.Lines.Take(2));
        Assert.False(TestPorts.IsFree(port));

        await cts.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(TestPorts.IsFree(port));
    }

    [Theory]
    [InlineData("orders:6", "orders", 6)]
    [InlineData("plain", "plain", 1)]
    public void ParseTopic_accepts_name_and_partitions(string spec, string name, int partitions) =>
        Assert.Equal((name, partitions), DevBrokerOptions.ParseTopic(spec));

    [Theory]
    [InlineData("orders:0")]
    [InlineData("orders:x")]
    [InlineData(":3")]
    public void ParseTopic_rejects_bad_specs(string spec) =>
        Assert.Throws<FormatException>(() => DevBrokerOptions.ParseTopic(spec));

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DevKafkaBroker.Start(new DevBrokerOptions { Brokers = 4 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => DevKafkaBroker.Start(new DevBrokerOptions { Port = 65535, Brokers = 2 }));
        Assert.Throws<ArgumentException>(() => DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Topics = [("bad name", 1)] }));
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> describe, params Task[] watched)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            var failed = watched.FirstOrDefault(t => t.IsCompleted);
            if (failed is not null)
            {
                await failed; // surface the exception of a loop that died
                Assert.Fail($"A watched task finished early; {describe()}");
            }

            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"Condition not met within {timeout}: {describe()}");
            }

            await Task.Delay(20);
        }
    }

    private sealed class GroupMember
    {
        private volatile IReadOnlyList<int> _assignment = [];

        public IReadOnlyList<int> Assignment => _assignment;

        public ConcurrentQueue<(int Partition, string Value)> Received { get; } = new();

        public void Run(string bootstrap, string group, string topic, CancellationToken stop)
        {
            using var consumer = new ConsumerBuilder<string, string>(KafkaClientDefaults.Consumer(bootstrap, group)).Build();
            consumer.Subscribe(topic);
            while (!stop.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                _assignment = consumer.Assignment.Select(tp => tp.Partition.Value).ToList();
                if (result is not null)
                {
                    Received.Enqueue((result.Partition.Value, result.Message.Value));
                }
            }

            consumer.Close();
        }
    }

    private sealed class LineWriter : StringWriter
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get { lock (_lines) { return _lines.ToList(); } }
        }

        public override void WriteLine(string? value)
        {
            lock (_lines)
            {
                _lines.Add(value ?? "");
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
