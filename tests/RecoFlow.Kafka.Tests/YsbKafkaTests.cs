using System.Text;
using System.Text.Json;
using RecoFlow.Api;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;
using static RecoFlow.Kafka.Tests.KafkaTestData;

namespace RecoFlow.Kafka.Tests;

/// <summary>The YSB job reading a Kafka topic on a dev broker that runs as its own process.</summary>
[Trait("Category", "Slow")]
public sealed class YsbKafkaTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-ysb-kafka-").FullName;
    private readonly IReadOnlyList<(string Ad, string Campaign)> _table = YsbData.Campaigns(campaigns: 20, adsPerCampaign: 5);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Events whose disorder (2 s) stays below the job's bound (5 s) and none late: whatever the interleaving of
    /// partitions, no view is late, so the counts equal the direct computation exactly.</summary>
    private List<YsbEvent> Events(int count, int seed) =>
        YsbData.Generate(count, seed, _table, eventsPerMs: 1, maxDisorderMs: 2_000, lateShare: 0).ToList();

    private Dictionary<(string, long), long> Expected(IEnumerable<YsbEvent> events) =>
        YsbData.ExpectedCounts(events, _table.ToDictionary(t => t.Ad, t => t.Campaign), 10_000, 5_000);

    private string WriteLines(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Builds the YSB job from its parameters as <c>recoflow run ysb</c> does and runs it to the end.</summary>
    private async Task<(JobClient Client, Dictionary<(string, long), long> Counts)> RunYsb(string bootstrap, string topic, int sourceParallelism)
    {
        var campaigns = Path.Combine(_dir, "campaigns.csv");
        YsbData.WriteCampaigns(campaigns, _table);
        var output = Path.Combine(_dir, $"out-{Guid.NewGuid():N}.jsonl");
        var definition = new YsbJob();
        var values = new Dictionary<string, string>
        {
            ["source"] = "kafka", ["bootstrap"] = bootstrap, ["topic"] = topic, ["bounded"] = "latest",
            ["campaigns"] = campaigns, ["output"] = output, ["source-parallelism"] = sourceParallelism.ToString(),
            ["parallelism"] = "2",
        };
        var job = definition.Build(new JobParameters(values, definition.Parameters));
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        var result = await client.WaitAsync().WaitAsync(TestTimeout);
        Assert.Equal(JobState.Finished, result.State);
        var counts = new Dictionary<(string, long), long>();
        foreach (var line in File.ReadLines(output))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            counts.Add((r.GetProperty("campaign_id").GetString()!, r.GetProperty("window_start").GetInt64()), r.GetProperty("count").GetInt64());
        }
        return (client, counts);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Ysb_reads_a_six_partition_topic_to_its_end_and_counts_exactly(int sourceParallelism)
    {
        var port = TestPorts.FreeRange(1);
        await using var broker = await DevBrokerHostProcess.StartAsync(port, brokers: 1, ["ysb:6", "ysb.dlq:1"], TestTimeout);
        var events = Events(30_000, seed: 17);
        var file = WriteLines("events.jsonl", events.Select(e => e.ToJson()));
        var produced = await KafkaTools.ProduceFileAsync(broker.BootstrapServers, "ysb", file, null, "user_id", TextWriter.Null, CancellationToken.None);
        Assert.Equal(events.Count, produced);

        var (client, counts) = await RunYsb(broker.BootstrapServers, "ysb", sourceParallelism);

        var expected = Expected(events);
        Assert.True(expected.Count > 50, $"only {expected.Count} expected rows");
        Assert.Equal(expected.OrderBy(x => x.Key), counts.OrderBy(x => x.Key));
        Assert.Equal(0, client.DeadLetterCount);

        // Every source subtask got partitions and read records; together they read every event once.
        var sources = client.Metrics.Tasks.Where(t => t.Name.Contains("ad events", StringComparison.Ordinal)).ToList();
        Assert.Equal(sourceParallelism, sources.Count);
        Assert.All(sources, t => Assert.True(t.RecordsRead > 0, $"source subtask {t.Id.Subtask} read nothing"));
        Assert.Equal(events.Count, sources.Sum(t => t.RecordsRead));
    }

    [Fact]
    public async Task Ysb_sends_malformed_messages_to_the_dead_letter_topic_and_counts_the_rest()
    {
        var port = TestPorts.FreeRange(1);
        await using var broker = await DevBrokerHostProcess.StartAsync(port, brokers: 1, ["ysb:6", "ysb.dlq:1"], TestTimeout);
        var events = Events(12_000, seed: 23);
        string[] bad = ["{not json", "[1,2,3]", "{\"ad_id\":\"ad-1\",\"event_type\":\"view\"}", "null", "{\"ad_id\":\"ad-2\",\"event_type\":\"view\",\"event_time\":\"soon\"}"];
        var lines = events.Select(e => e.ToJson()).ToList();
        for (var i = 0; i < bad.Length; i++) lines.Insert(500 + i * 2_000, bad[i]);
        var file = WriteLines("mixed.jsonl", lines);
        Assert.Equal(lines.Count, await KafkaTools.ProduceFileAsync(broker.BootstrapServers, "ysb", file, null, null, TextWriter.Null, CancellationToken.None));

        var (client, counts) = await RunYsb(broker.BootstrapServers, "ysb", sourceParallelism: 2);

        Assert.Equal(Expected(events).OrderBy(x => x.Key), counts.OrderBy(x => x.Key));
        Assert.Equal(bad.Length, client.DeadLetterCount);
        var dlq = ConsumeAll(broker.BootstrapServers, "ysb.dlq", bad.Length);
        Assert.Equal(bad.Order(), dlq.Select(r => Encoding.UTF8.GetString(r.Message.Value)).Order());
        foreach (var r in dlq)
        {
            string H(string name) => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes(name));
            Assert.Equal("ysb", H("topic"));
            Assert.Contains("FormatException", H("error"));
            Assert.InRange(int.Parse(H("partition")), 0, 5);
            Assert.True(long.Parse(H("offset")) >= 0);
        }
    }

    [Theory]
    [InlineData(new[] { "source=kafka", "topic=t" }, "'bootstrap'")]
    [InlineData(new[] { "source=kafka", "bootstrap=127.0.0.1:1" }, "'topic'")]
    [InlineData(new[] { "source=kafka", "bootstrap=127.0.0.1:1", "topic=t", "start=middle" }, "'start'")]
    [InlineData(new[] { "source=kafka", "bootstrap=127.0.0.1:1", "topic=t", "bounded=tomorrow" }, "'bounded'")]
    [InlineData(new[] { "source=kafka", "bootstrap=127.0.0.1:1", "topic=t", "input=x.jsonl" }, "'input'")]
    [InlineData(new[] { "source=kafka", "bootstrap=127.0.0.1:1", "topic=t", "source-parallelism=0" }, "'source-parallelism'")]
    [InlineData(new[] { "source=file" }, "'input'")]
    [InlineData(new[] { "source=file", "input=x.jsonl", "topic=t" }, "'topic'")]
    [InlineData(new[] { "source=pigeon" }, "'source'")]
    public void Invalid_source_parameters_name_the_parameter(string[] args, string named)
    {
        var campaigns = Path.Combine(_dir, "campaigns.csv");
        YsbData.WriteCampaigns(campaigns, _table);
        var values = args.Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);
        values["campaigns"] = campaigns;
        values["output"] = Path.Combine(_dir, "out.jsonl");
        var definition = new YsbJob();
        var e = Assert.Throws<JobParameterException>(() => definition.Build(new JobParameters(values, definition.Parameters)));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void Kafka_parameters_build_a_kafka_source_with_defaults()
    {
        var campaigns = Path.Combine(_dir, "campaigns.csv");
        YsbData.WriteCampaigns(campaigns, _table);
        var definition = new YsbJob();
        var values = new Dictionary<string, string> { ["source"] = "kafka", ["bootstrap"] = "127.0.0.1:1", ["topic"] = "t", ["campaigns"] = campaigns, ["output"] = "o" };
        var source = Assert.IsType<KafkaSource<YsbEvent>>(YsbSources.Create(new JobParameters(values, definition.Parameters)));
        Assert.Equal(KafkaStartMode.Earliest, source.Options.StartFrom);
        Assert.Equal(KafkaStopMode.Never, source.Options.StopAt);
        Assert.Equal(["t"], source.Options.Topics);
        values["start"] = "committed";
        values["bounded"] = "latest";
        source = Assert.IsType<KafkaSource<YsbEvent>>(YsbSources.Create(new JobParameters(values, definition.Parameters)));
        Assert.Equal(KafkaStartMode.Committed, source.Options.StartFrom);
        Assert.Equal(KafkaStopMode.Latest, source.Options.StopAt);
        Assert.Contains(definition.Parameters, p => p.Name == "bootstrap");
    }

    [Fact]
    public async Task Ysb_started_before_the_broker_exists_waits_then_counts_everything()
    {
        var port = TestPorts.FreeRange(1);
        var log = new LogCapture();
        var job = new Api.Streams.StreamJob("ysb-late-broker").WithDefaultParallelism(2);
        var sink = new Connectors.Memory.CollectSink<YsbResult>();
        var source = YsbSources.Kafka(new KafkaSourceOptions { BootstrapServers = $"127.0.0.1:{port}", Topics = ["ysb"], RequestTimeout = TimeSpan.FromSeconds(1), Log = log.Log });
        var campaigns = _table.ToDictionary(t => t.Ad, t => t.Campaign);
        YsbJob.Pipeline(job, source, () => campaigns, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), sourceParallelism: 2).Counts.SinkTo(sink);
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        try
        {
            await WaitUntil(() => log.Contains("waiting for Kafka") || client.Completion.IsCompleted, TestTimeout, () => string.Join("\n", log.Lines));
            Assert.False(client.Completion.IsCompleted, "the job ended while the broker was down");

            await using var broker = await DevBrokerHostProcess.StartAsync(port, brokers: 1, ["ysb:3", "ysb.dlq:1"], TestTimeout);
            var events = Events(9_000, seed: 29);
            var file = WriteLines("events.jsonl", events.Select(e => e.ToJson()));
            await KafkaTools.ProduceFileAsync(broker.BootstrapServers, "ysb", file, null, "user_id", TextWriter.Null, CancellationToken.None);
            // The stream is unbounded: a click far in the future on every partition moves event time past every window.
            var end = events.Max(e => e.EventTime) + 60_000;
            Produce(broker.BootstrapServers, "ysb", Enumerable.Range(0, 3)
                .Select(p => (p, (string?)null, Encoding.UTF8.GetBytes(new YsbEvent("u", "p", "ad-0", "banner", "click", end, "").ToJson()), end)).ToList());

            var expected = Expected(events);
            await WaitUntil(() => sink.Count >= expected.Count || client.Completion.IsCompleted, TestTimeout, () => $"{sink.Count}/{expected.Count} rows");
            Assert.False(client.Completion.IsCompleted, "the unbounded job ended");
            Assert.Equal(expected.OrderBy(x => x.Key), sink.Items.ToDictionary(r => (r.CampaignId, r.WindowStart), r => r.Count).OrderBy(x => x.Key));
        }
        finally
        {
            client.Cancel();
            await client.Completion.WaitAsync(TestTimeout);
        }
    }
}
