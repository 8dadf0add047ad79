using System.Text;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;
using static RecoFlow.Kafka.Tests.KafkaTestData;

namespace RecoFlow.Kafka.Tests;

/// <summary>The dev broker process dies mid-run and a new, empty one takes its port: the job goes on.</summary>
[Trait("Category", "Slow")]
public sealed class KafkaBrokerRestartTests
{
    [Fact]
    public async Task Job_survives_a_broker_restart_and_rereads_reproduced_data_from_the_earliest_offset()
    {
        const int partitions = 3, before = 100, after = 150;
        var port = TestPorts.FreeRange(1);
        string[] topics = ["in:3", "out:3"];
        var first = await DevBrokerHostProcess.StartAsync(port, brokers: 1, topics, TestTimeout);
        var bootstrap = first.BootstrapServers;
        var log = new LogCapture();
        var job = new StreamJob("kafka-restart").WithDefaultParallelism(2);
        var sink = new CollectSink<string>();
        var read = job.FromSource(KafkaSource.Strings(new KafkaSourceOptions
        {
            BootstrapServers = bootstrap, Topics = ["in"], RequestTimeout = TimeSpan.FromSeconds(1), Log = log.Log,
        }), WatermarkStrategy<string>.NoWatermarks(), "kafka");
        read.SinkTo(sink);
        read.SinkTo(new KafkaSink<string>(new KafkaSinkOptions { BootstrapServers = bootstrap, Topic = "out", Log = log.Log }, KafkaSerializers.Utf8String()));
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        try
        {
            // Values "in/p<p>/m<i>": m0..m99 on every partition before the restart.
            KafkaRoundTrip.Produce(bootstrap, "in", partitions, before);
            await WaitUntil(() => sink.Count >= partitions * before || client.Completion.IsCompleted, TestTimeout, () => $"{sink.Count} records");
            await WaitUntil(() => ConsumeAll(bootstrap, "out", partitions * before, TimeSpan.FromSeconds(5)).Count >= partitions * before, TestTimeout, () => "sink output before the restart");

            await first.KillAsync();
            await using var second = await DevBrokerHostProcess.StartAsync(port, brokers: 1, topics, TestTimeout);
            Assert.Equal(bootstrap, second.BootstrapServers);

            // The new broker is empty: every stored position (100) is beyond its end (0), so each partition is reset to
            // the earliest offset (auto.offset.reset=earliest) and logged. Only then is the data produced again.
            await WaitUntil(() => Enumerable.Range(0, partitions).All(p => log.Contains($"offset reset of in-{p}")) || client.Completion.IsCompleted,
                TestTimeout, () => string.Join("\n", log.Lines.TakeLast(30)));
            KafkaRoundTrip.Produce(bootstrap, "in", partitions, after);
            var total = partitions * (before + after);
            await WaitUntil(() => sink.Count >= total || client.Completion.IsCompleted, TestTimeout, () => $"{sink.Count}/{total} records");
            Assert.False(client.Completion.IsCompleted, client.Completion.IsCompleted ? $"job ended: {(await client.Completion).Failure}" : "");

            // Records read: m0..m99 twice (before the restart and re-produced), m100..m149 once.
            var expected = Enumerable.Range(0, partitions).SelectMany(p =>
                Enumerable.Range(0, before).Concat(Enumerable.Range(0, after)).Select(i => $"in/p{p}/m{i}")).Order().ToList();
            Assert.Equal(expected, sink.Items.Order().ToList());

            // The sink wrote everything read after the restart to the new broker (a record in flight at the kill may be
            // retried there too: at least once).
            var written = ConsumeAll(bootstrap, "out", partitions * after).Select(r => Encoding.UTF8.GetString(r.Message.Value)).ToList();
            Assert.Equal(expected.Distinct().Order(), written.Distinct().Order());
            Assert.InRange(written.Count, partitions * after, total);
        }
        finally
        {
            client.Cancel();
            await client.Completion.WaitAsync(TestTimeout);
            await first.DisposeAsync();
        }
    }
}
