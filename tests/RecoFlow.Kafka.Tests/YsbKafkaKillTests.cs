using System.Text.Json;
using RecoFlow.Connectors.Files;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Jobs.Ysb;
using RecoFlow.TestSupport;

namespace RecoFlow.Kafka.Tests;

/// <summary>
/// YSB reads a 6-partition topic from a dev broker process with checkpoints every second; the RecoFlow process is
/// killed with SIGKILL several times and restarted with the same state directory. Offsets come from the checkpoint,
/// output goes through the transactional file sink, and the committed output equals the direct count exactly.
/// </summary>
[Trait("Category", "Slow")]
public sealed class YsbKafkaKillTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-ysb-kafka-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Killed_three_times_mid_stream_the_committed_output_is_exact()
    {
        var table = YsbData.Campaigns(campaigns: 20, adsPerCampaign: 5);
        // Disorder below the bound and nothing late: the count does not depend on how partitions interleave.
        var events = YsbData.Generate(120_000, 23, table, eventsPerMs: 1, maxDisorderMs: 2_000, lateShare: 0).ToList();
        var port = TestPorts.FreeRange(1);
        await using var broker = await DevBrokerHostProcess.StartAsync(port, brokers: 1, ["ysb:6", "ysb.dlq:1"], KafkaTestData.TestTimeout);
        var input = Path.Combine(_dir, "events.jsonl");
        File.WriteAllLines(input, events.Select(e => e.ToJson()));
        Assert.Equal(events.Count, await KafkaTools.ProduceFileAsync(broker.BootstrapServers, "ysb", input, null, "user_id", TextWriter.Null, CancellationToken.None));
        var campaigns = Path.Combine(_dir, "campaigns.csv");
        YsbData.WriteCampaigns(campaigns, table);
        var output = Path.Combine(_dir, "out");

        string[] args = ["run", "ysb", "--param", "source=kafka", "--param", $"bootstrap={broker.BootstrapServers}", "--param", "topic=ysb",
            "--param", "bounded=latest", "--param", "source-parallelism=2", "--param", "rate=15000",
            "--param", $"campaigns={campaigns}", "--param", $"output={output}", "--state-dir", Path.Combine(_dir, "state"), "--checkpoint-interval", "1s"];
        var log = await KillLoop.RunAsync(args, kills: 3, seed: Environment.TickCount, maxDelayMs: 2_000);
        // The last run resumes from a checkpoint, or finds that a killed run had already finished and committed.
        Assert.Matches("resumed from checkpoint|had already finished", log);

        var expected = YsbData.ExpectedCounts(events, table.ToDictionary(t => t.Ad, t => t.Campaign), 10_000, 5_000);
        var actual = new Dictionary<(string, long), long>();
        foreach (var line in CommittedFiles.ReadLines(output))
        {
            var r = JsonDocument.Parse(line).RootElement;
            var key = (r.GetProperty("campaign_id").GetString()!, r.GetProperty("window_start").GetInt64());
            Assert.True(actual.TryAdd(key, r.GetProperty("count").GetInt64()), $"window {key} committed twice\n{log}");
        }
        Assert.Equal(expected.OrderBy(x => x.Key), actual.OrderBy(x => x.Key));
    }
}
