using RecoFlow.Api.Graph;
using RecoFlow.Api.Streams;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;
using RecoFlow.Server;
using RecoFlow.Server.Jobs;
using RecoFlow.Server.Metrics;

namespace RecoFlow.Cli;

/// <summary>
/// What <c>recoflow demo</c> runs in one process: the embedded runtime, the jobs it submits (registered with the node's
/// HTTP layer) and, with an HTTP port, the node's server (dashboard, API, metrics, /collect, delivery). Further demo
/// parts (the recommendation job, a shop page) plug in through <see cref="Submit"/> and <see cref="Services"/>.
/// </summary>
public sealed class DemoHost : IAsyncDisposable
{
    private DemoHost(LocalRuntime runtime, LocalJobRegistry jobs, NodeHttpServer? server)
    {
        Runtime = runtime;
        Jobs = jobs;
        Server = server;
    }

    public LocalRuntime Runtime { get; }
    public LocalJobRegistry Jobs { get; }
    /// <summary>Null when the demo runs without HTTP.</summary>
    public NodeHttpServer? Server { get; }
    public NodeServices Services => new() { Jobs = Jobs };

    /// <summary>End-to-end latency goes to the server's histogram; without a server it is dropped.</summary>
    public ILatencyRecorder Latency => Server?.Metrics ?? (ILatencyRecorder)NoLatency.Instance;

    public static async Task<DemoHost> StartAsync(int? httpPort, CancellationToken cancellationToken)
    {
        var runtime = LocalRuntime.Start();
        var jobs = new LocalJobRegistry();
        NodeHttpServer? server = null;
        if (httpPort is { } port)
        {
            // The demo runs on a laptop: security off, a random pseudonym key, loopback only.
            var options = NodeServerOptions.From(null) with { NodeName = "demo", Port = port, Token = null };
            server = await NodeHttpServer.StartAsync(options, new NodeServices { Jobs = jobs }, cancellationToken);
        }
        return new DemoHost(runtime, jobs, server);
    }

    public JobClient Submit(JobGraph graph, JobRunOptions? options = null)
    {
        var client = Runtime.Submit(graph, options);
        Jobs.Add(client);
        return client;
    }

    /// <summary>
    /// YSB over events generated at <paramref name="ratePerSecond"/> and stamped with the wall clock, so the dashboard
    /// has a job that keeps running: 1 s windows, latency measured from each window's end to its result at the sink.
    /// </summary>
    public JobGraph LiveYsb(double ratePerSecond)
    {
        var table = YsbData.Campaigns();
        var campaigns = table.ToDictionary(t => t.Ad, t => t.Campaign);
        var job = new StreamJob("live-ysb");
        var source = new GeneratorSource<YsbEvent>(
            n => new YsbEvent($"user-{n % 100_000}", $"page-{n % 10_000}", table[(int)(n * 7919 % table.Count)].Ad, "banner",
                YsbData.EventTypes[n % 3], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "10.0.0.1"),
            count: null, ratePerSecond: ratePerSecond);
        var (_, counts) = YsbJob.Pipeline(job, source, () => campaigns, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200));
        counts.SinkTo(new LatencyRecordingSink<YsbResult>(Latency, r => r.WindowEnd), "latency probe");
        return job.Build();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var j in Jobs.Jobs) j.Cancel();
        if (Server is not null) await Server.DisposeAsync();
        await Runtime.DisposeAsync();
    }

    private sealed class NoLatency : ILatencyRecorder
    {
        public static readonly NoLatency Instance = new();
        public void Record(TimeSpan latency) { }
    }
}
