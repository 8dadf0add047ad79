using System.Text;
using RecoFlow.Api.Streams;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;
using RecoFlow.ControlPlane;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Server.Metrics;

namespace RecoFlow.Server.Tests;

/// <summary>
/// One node for all tests: the embedded runtime running an unbounded YSB job (generated events stamped with the wall
/// clock, 1 s windows, latency measured at the sink), behind a real Kestrel server on a free loopback port with
/// security on, and the recommendation edge plugged in as the CLI's node does.
/// </summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public const string Token = "test-token-0123456789";
    public static readonly byte[] PseudonymKey = Encoding.UTF8.GetBytes("test-pseudonym-key-0123456789");

    public LocalRuntime Runtime { get; private set; } = null!;
    public LocalJobRegistry Registry { get; } = new();
    public InMemoryEventPublisher Publisher { get; } = new();
    public NodeHttpServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string YsbJobId { get; private set; } = "";
    public IReadOnlyList<string> YsbOperatorNames { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Runtime = LocalRuntime.Start();
        Server = await NodeHttpServer.StartAsync(
            new NodeServerOptions { NodeName = "test-node", Port = 0, Token = Token, SampleInterval = TimeSpan.FromMilliseconds(500) },
            new NodeServices
            {
                Jobs = Registry,
                Modules = [new RecommendationEdgeModule(new RecommendationEdgeOptions { PseudonymKey = PseudonymKey, CollectRateLimit = 10_000 }, new RecommendationEdgeServices { Publisher = Publisher })],
            });
        Http = new HttpClient { BaseAddress = Server.Url };
        var graph = LiveYsb(Server.Metrics, ratePerSecond: 2_000);
        YsbOperatorNames = graph.Transformations.Select(t => t.Name).ToList();
        YsbJobId = Registry.Add(Runtime.Submit(graph)).Id;
    }

    /// <summary>YSB over generated events whose event time is now; window results are measured against their window end.</summary>
    public static RecoFlow.Api.Graph.JobGraph LiveYsb(ILatencyRecorder latency, double ratePerSecond, string name = "live-ysb")
    {
        var table = YsbData.Campaigns(10, 10);
        var campaigns = table.ToDictionary(t => t.Ad, t => t.Campaign);
        var job = new StreamJob(name);
        var source = new GeneratorSource<YsbEvent>(
            n => new YsbEvent($"user-{n % 1000}", $"page-{n % 100}", table[(int)(n % table.Count)].Ad, "banner", YsbData.EventTypes[n % 3], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "10.0.0.1"),
            count: null, ratePerSecond: ratePerSecond);
        var (_, counts) = YsbJob.Pipeline(job, source, () => campaigns, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        counts.SinkTo(new LatencyRecordingSink<YsbResult>(latency, r => r.WindowEnd, new CollectSink<YsbResult>()), "window counts");
        return job.Build();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        foreach (var j in Registry.Jobs) j.Cancel();
        await Server.DisposeAsync();
        await Runtime.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "node";
}
