using Confluent.Kafka;
using RecoFlow.Cli;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;
using RecoFlow.Jobs.Ysb;

namespace RecoFlow.Kafka.Tests;

/// <summary>
/// The development broker keeps about 5 MiB per partition (librdkafka's mock cluster has no setting for more): what
/// it drops is never silent. `recoflow produce` spreads keyless messages evenly, reports drops per partition and exits
/// with 1 when there were any; the broker reports them; a source starting below the log start says how many it skips.
/// </summary>
[Trait("Category", "Slow")]
public sealed class DevBrokerRetentionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("retention").FullName;

    private string Events(long count)
    {
        var file = Path.Combine(_dir, $"events-{count}.jsonl");
        YsbData.WriteEvents(file, YsbData.Generate(count, 7, YsbData.Campaigns()));
        return file;
    }

    private static WatermarkOffsets Watermarks(string bootstrap, string topic, int partition)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClientDefaults.Consumer(bootstrap, "w-" + Guid.NewGuid().ToString("N"))).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Produce_spreads_100000_keyless_ysb_events_evenly_over_6_partitions_and_the_broker_keeps_them_all()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Topics = [("ysb", 6)] });
        var stdout = new StringWriter();
        var code = await CliApp.RunAsync(["produce", "--bootstrap", broker.BootstrapServers, "--topic", "ysb", "--file", Events(100_000)], stdout);
        Assert.True(code == 0, stdout.ToString());
        for (var p = 0; p < 6; p++)
        {
            var w = Watermarks(broker.BootstrapServers, "ysb", p);
            Assert.Equal(0, w.Low.Value);
            Assert.InRange(w.High.Value, 16_666, 16_667);
            Assert.Contains($"partition {p}: {w.High.Value:N0} produced, all kept", stdout.ToString());
        }
    }

    [Fact]
    public async Task Produce_beyond_what_a_partition_keeps_exits_1_and_the_broker_and_a_source_from_earliest_report_the_drops()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Topics = [("one", 1)] });
        using var stop = new CancellationTokenSource();
        var brokerOutput = new StringWriter();
        var watching = Task.Run(() => DevBrokerCommand.WatchRetention(broker.BootstrapServers, brokerOutput, stop.Token));

        // ~170 bytes an event: 40,000 are ~6.8 MB, more than the ~5 MiB the partition keeps.
        var stdout = new StringWriter();
        var code = await CliApp.RunAsync(["produce", "--bootstrap", broker.BootstrapServers, "--topic", "one", "--file", Events(40_000)], stdout);
        Assert.Equal(1, code);
        var logStart = Watermarks(broker.BootstrapServers, "one", 0).Low.Value;
        Assert.InRange(logStart, 1, 39_999);
        Assert.Contains($"partition 0: 40,000 produced, the broker dropped the oldest {logStart:N0} (its log starts at offset {logStart:N0})", stdout.ToString());
        Assert.Contains($"the broker dropped {logStart:N0} of the 40,000 message(s) just produced to one", stdout.ToString());

        // The watch looks once a second: drops while the producer runs may come in several lines, which add up to the log start.
        long Reported() => System.Text.RegularExpressions.Regex.Matches(brokerOutput.ToString(), @"dropped: one-0: the oldest ([\d,]+) message\(s\)")
            .Sum(m => long.Parse(m.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Reported() != logStart || !brokerOutput.ToString().Contains($"(the log now starts at offset {logStart:N0}", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the broker did not report the drop: {brokerOutput}");
            await Task.Delay(100);
        }
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watching);

        // A source from the earliest offset, and one restored at offset 0, say how many messages they cannot read.
        var log = new LogCapture();
        var options = new KafkaSourceOptions { BootstrapServers = broker.BootstrapServers, Topics = ["one"], Log = log.Log };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClientDefaults.Consumer(broker.BootstrapServers, "c-" + Guid.NewGuid().ToString("N"))).Build();
        var fresh = new KafkaPartitionSplitState(new KafkaPartitionSplit("one", 0));
        var restored = new KafkaPartitionSplitState(new KafkaPartitionSplit("one", 0, startingOffset: 0));
        new KafkaOffsetsInitializer(consumer, options, log.Log).ResolveStartingOffsets([fresh, restored]);
        Assert.Equal(logStart, fresh.Position);
        Assert.Equal(logStart, restored.Position);
        Assert.True(log.Contains($"warning: one-0: starts at the partition's log start, offset {logStart:N0}: the {logStart:N0} message(s) before it are no longer on the broker"), string.Join("\n", log.Lines));
        Assert.True(log.Contains($"warning: one-0: the checkpointed offset 0 is below the partition's log start {logStart:N0}: {logStart:N0} message(s) were deleted by the broker before they were read"), string.Join("\n", log.Lines));
    }

    [Fact]
    public void The_retention_watch_counts_each_drop_once()
    {
        var watch = new RetentionWatch();
        Assert.Equal(0, watch.Update("t", 0, 0));
        Assert.Equal(500, watch.Update("t", 0, 500));
        Assert.Equal(0, watch.Update("t", 0, 500));
        Assert.Equal(250, watch.Update("t", 0, 750));
        Assert.Equal(100, watch.Update("t", 1, 100));
        Assert.Equal(0, new PartitionRetention(0, 10, 100, 100).Dropped);
        Assert.Equal(5, new PartitionRetention(0, 10, 100, 105).Dropped);
        Assert.Equal(10, new PartitionRetention(0, 10, 100, 500).Dropped);
        Assert.Equal(0, new PartitionRetention(0, 0, -1, 500).Dropped);
        Assert.Null(LogStartCheck.Below("t-0", 500, 500, "checkpointed"));
        Assert.Null(LogStartCheck.Earliest("t-0", 0));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
