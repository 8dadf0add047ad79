using RecoFlow.Connectors.Kafka;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Kafka.Tests;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// YSB input in a 6-partition topic of a dev broker process, for the cluster tests that read Kafka: 20 campaigns of 5
/// ads, events with disorder below the bound and nothing late (so the count does not depend on how partitions
/// interleave), the campaign table as a file, and the expected windowed counts.
/// </summary>
internal sealed class KafkaYsbInput : IAsyncDisposable
{
    private KafkaYsbInput(DevBrokerHostProcess broker, List<YsbEvent> events, IReadOnlyList<(string Ad, string Campaign)> table, string campaigns, string output)
    {
        Broker = broker;
        Events = events;
        Table = table;
        Campaigns = campaigns;
        Output = output;
    }

    public DevBrokerHostProcess Broker { get; }
    public List<YsbEvent> Events { get; }
    public IReadOnlyList<(string Ad, string Campaign)> Table { get; }

    /// <summary>The campaign table file (job parameter <c>campaigns</c>).</summary>
    public string Campaigns { get; }

    /// <summary>Where the job's counts go (job parameter <c>output</c>).</summary>
    public string Output { get; }

    /// <summary>The job parameters of a YSB reading the topic to its end.</summary>
    public string[] Parameters =>
    [
        "--param", "source=kafka", "--param", $"bootstrap={Broker.BootstrapServers}", "--param", "topic=ysb", "--param", "bounded=latest",
        "--param", $"campaigns={Campaigns}", "--param", $"output={Output}",
    ];

    /// <summary>The direct count the committed output must equal.</summary>
    public Dictionary<(string Campaign, long WindowStart), long> Expected() =>
        YsbData.ExpectedCounts(Events, Table.ToDictionary(t => t.Ad, t => t.Campaign), 10_000, 5_000);

    /// <summary>Starts a broker and produces <paramref name="count"/> events (seed <paramref name="seed"/>) into its topic <c>ysb</c>; files go to <paramref name="directory"/> under <paramref name="name"/>.</summary>
    public static async Task<KafkaYsbInput> StartAsync(string directory, string name, int count, int seed)
    {
        var table = YsbData.Campaigns(campaigns: 20, adsPerCampaign: 5);
        var events = YsbData.Generate(count, seed, table, eventsPerMs: 1, maxDisorderMs: 2_000, lateShare: 0).ToList();
        var broker = await DevBrokerHostProcess.StartAsync(NodeProcess.FreePort(), brokers: 1, ["ysb:6", "ysb.dlq:1"], TimeSpan.FromSeconds(60));
        try
        {
            var input = Path.Combine(directory, $"{name}-events.jsonl");
            await File.WriteAllLinesAsync(input, events.Select(e => e.ToJson()));
            Assert.Equal(events.Count, await KafkaTools.ProduceFileAsync(broker.BootstrapServers, "ysb", input, null, "user_id", TextWriter.Null, CancellationToken.None));
            var campaigns = Path.Combine(directory, $"{name}-campaigns.csv");
            YsbData.WriteCampaigns(campaigns, table);
            return new KafkaYsbInput(broker, events, table, campaigns, Path.Combine(directory, $"{name}-counts"));
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Broker.DisposeAsync();
}
