using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Recommendations.Cli.Demo;
using RecoFlow.Connectors.Kafka.DevBroker;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Delivery;
using RecoFlow.Recommendations.Edge.Models;
using RecoFlow.Server;
using RecoFlow.ControlPlane;
using Microsoft.Extensions.DependencyInjection;

namespace RecoFlow.Recommendations.Cli;

/// <summary>What <c>recoflow demo</c> runs; the defaults are the demo's.</summary>
public sealed record DemoOptions
{
    /// <summary>HTTP port; null tries 8080 and falls back to a free port when it is taken; 0 always picks a free one.</summary>
    public int? HttpPort { get; init; }

    /// <summary>Simulated shopper events per second (0: none, only what the browser sends).</summary>
    public double Rate { get; init; } = 200;

    /// <summary>Where checkpoints (SQLite), the erasure log and the catalogue go; null: a new temporary directory, deleted at the end.</summary>
    public string? StateDirectory { get; init; }

    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>With a value: the diversity loop holds the lists' ILD at it (job parameter <c>ild-target</c>); its θ versions appear on the dashboard.</summary>
    public double? IldTarget { get; init; }

    /// <summary>Event time between item-model versions.</summary>
    public TimeSpan ModelInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>HTTPS certificate; null serves HTTP.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    /// <summary>/collect requests per second per client before 429 (the generator sends 20 per second).</summary>
    public int CollectRateLimit { get; init; } = 1_000;

    /// <summary>HOCON in front of the runtime's configuration (the demo command puts its logging here).</summary>
    public Akka.Configuration.Config RuntimeConfig { get; init; } = Akka.Configuration.Config.Empty;
}

/// <summary>
/// The demo in one process: the development Kafka broker (interactions and recommendations topics), the embedded
/// runtime with checkpoints in SQLite, the node's HTTP server (dashboard, /shop, /collect, /consent, WebSocket feed)
/// and the recommendation job reading the interactions topic and writing to the recommendations topic and to the
/// feed. <see cref="Traffic"/> plays simulated shoppers. Disposing stops everything, in reverse order.
/// </summary>
public sealed class DemoHost : IAsyncDisposable
{
    public const int DefaultPort = 8080;
    private readonly bool _deleteState;
    private readonly CancellationTokenSource _stop = new();
    private Task _traffic = Task.CompletedTask;
    private long _lists;

    private DemoHost(DevKafkaBroker broker, LocalRuntime runtime, LocalJobRegistry jobs, NodeHttpServer server, DemoCatalog catalog, string stateDir, bool deleteState, CountingPublisher publisher, DemoModelVersions models)
    {
        Broker = broker;
        Runtime = runtime;
        Jobs = jobs;
        Server = server;
        Catalog = catalog;
        StateDirectory = stateDir;
        _deleteState = deleteState;
        Publisher = publisher;
        Models = models;
    }

    public DevKafkaBroker Broker { get; }
    public LocalRuntime Runtime { get; }
    public LocalJobRegistry Jobs { get; }
    public NodeHttpServer Server { get; }
    public DemoCatalog Catalog { get; }
    public string StateDirectory { get; }
    public JobClient Job { get; private set; } = null!;
    public TrafficGenerator? Traffic { get; private set; }
    public LatencyWindow Latency { get; } = new();
    public DemoModelVersions Models { get; }
    internal CountingPublisher Publisher { get; }

    /// <summary>True when the requested default port was taken and a free one was used instead.</summary>
    public bool PortFallback { get; private set; }

    /// <summary>Events accepted by /collect and published to the interactions topic so far.</summary>
    public long EventsPublished => Publisher.Count;

    /// <summary>Lists published to the feed so far.</summary>
    public long ListsPublished => Interlocked.Read(ref _lists);

    /// <summary>Called with each list published to the feed (the benchmark's hook).</summary>
    public Action<Recommendation>? OnList { get; set; }

    public static async Task<DemoHost> StartAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var deleteState = options.StateDirectory is null;
        var stateDir = options.StateDirectory ?? Directory.CreateTempSubdirectory("recoflow-demo-").FullName;
        Directory.CreateDirectory(stateDir);
        var catalog = new DemoCatalog();
        var catalogFile = Path.Combine(stateDir, "catalog.csv");
        catalog.WriteMoviesCsv(catalogFile);
        var erasureLog = new ErasureLog(Path.Combine(stateDir, "erasures.jsonl"));

        var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Topics = [("interactions", 4), ("recommendations", 4)] });
        LocalRuntime? runtime = null;
        CountingPublisher? publisher = null;
        try
        {
            runtime = LocalRuntime.Start(options.RuntimeConfig.WithFallback(CheckpointStore.Sqlite(Path.Combine(stateDir, "checkpoints.db"))));
            publisher = new CountingPublisher(new KafkaEventPublisher(broker.BootstrapServers));
            var jobs = new LocalJobRegistry();
            var models = new DemoModelVersions();
            // The demo's keys are random per run, like its pseudonym key: the admin token stays in this process (the simulated
            // shoppers are server-side collection); the shop page gets the collect key and a user token for its visitor.
            var edge = new RecommendationEdgeModule(
                RecommendationEdgeOptions.From(null) with { CollectRateLimit = options.CollectRateLimit },
                new RecommendationEdgeServices { Publisher = publisher, Feed = new InMemoryRecommendationFeed(), Shop = catalog, ErasureLog = erasureLog, Models = models });
            var services = new NodeServices { Jobs = jobs, Modules = [edge] };
            var http = NodeServerOptions.From(null) with
            {
                NodeName = "demo", Token = RandomKey(), TokenGenerated = false, CollectKey = RandomKey(), CollectKeyGenerated = false,
                UserSecret = RandomKey(), Certificate = options.Certificate,
                Port = options.HttpPort ?? DefaultPort,
            };
            NodeHttpServer server;
            var fallback = false;
            try
            {
                server = await NodeHttpServer.StartAsync(http, services, cancellationToken);
            }
            catch (IOException e) when (options.HttpPort is null && IsAddressInUse(e))
            {
                server = await NodeHttpServer.StartAsync(http with { Port = 0 }, services, cancellationToken);
                fallback = true;
            }
            var host = new DemoHost(broker, runtime, jobs, server, catalog, stateDir, deleteState, publisher, models) { PortFallback = fallback };
            host.SubmitJob(catalogFile, erasureLog.Path, options);
            if (options.Rate > 0)
            {
                var client = new HttpClient { BaseAddress = server.Url, DefaultRequestHeaders = { Authorization = new("Bearer", http.Token) } };
                host.Traffic = new TrafficGenerator(client, catalog, options.Rate);
                host._traffic = Task.Run(async () =>
                {
                    using (client) await host.Traffic.RunAsync(host._stop.Token);
                });
            }
            return host;
        }
        catch
        {
            if (publisher is not null) publisher.Dispose();
            if (runtime is not null) await runtime.DisposeAsync();
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>The admin token of this run: job actions on the dashboard, and /collect or delivery in any user's name.</summary>
    public string AdminToken => Server.Services.GetRequiredService<NodeServerOptions>().Token!;

    private static string RandomKey() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    private static bool IsAddressInUse(Exception e) =>
        e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase);

    private void SubmitJob(string catalogFile, string erasureLog, DemoOptions options)
    {
        var definition = new RecommendationJob();
        var values = new Dictionary<string, string>
        {
            ["source"] = "kafka",
            ["bootstrap"] = Broker.BootstrapServers,
            ["input-topic"] = "interactions",
            ["output-topic"] = "recommendations",
            ["catalog"] = catalogFile,
            // /collect pseudonymised the user ids already; the feed is keyed by those pseudonyms.
            ["pseudonymize"] = "false",
            ["erasure-log"] = erasureLog,
            ["publish-interval"] = $"{(long)options.ModelInterval.TotalMilliseconds}ms",
            ["rollback-min-lists"] = "1000000000",
            // Web Push subscriptions from the shop page, and the candidates the push sink notifies.
            ["push"] = "true",
        };
        if (options.IldTarget is double target)
        {
            values["ild-target"] = target.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            values["ild-window"] = "100";
        }
        var job = definition.Build(new JobParameters(values, definition.Parameters), streams =>
        {
            var feed = Server.Feed;
            streams.Recommendations.SinkTo(new FeedSink<Recommendation>(feed, Server.Consent, r => r.UserKey, FeedJson, Published), "recommendation feed").SetParallelism(1);
            streams.ModelVersions.SinkTo(new ViewSink<ModelDelta>(Models.Add, "model versions (dashboard)"), "model versions").SetParallelism(1);
            if (options.IldTarget is not null) streams.DiversityRecords.SinkTo(new ViewSink<DiversityRecord>(Models.Add, "diversity versions (dashboard)"), "diversity versions").SetParallelism(1);
            var titles = Catalog.Items.ToDictionary(i => i.Id, i => i.Title, StringComparer.Ordinal);
            streams.PushCandidates!.SinkTo(Server.PushSink(id => titles.GetValueOrDefault(id)), "push notifications").SetParallelism(1);
        });
        Job = Runtime.Submit(job.Build(), new JobRunOptions
        {
            JobKey = "demo-recommendations",
            Checkpoints = new CheckpointOptions { Interval = options.CheckpointInterval },
            RestartStrategy = RestartStrategy.FixedDelay(3, TimeSpan.FromSeconds(1)),
        });
        Jobs.Add(Job);
    }

    private void Published(Recommendation r)
    {
        Interlocked.Increment(ref _lists);
        var latency = TimeSpan.FromMilliseconds(Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - r.EventTimestampMs));
        Latency.Record(latency);
        // The node's figures too: the dashboard's latency, /api/overview's latency_ms and recoflow_latency_seconds.
        Server.Metrics.Record(latency);
        OnList?.Invoke(r);
    }

    /// <summary>A list as the shop page gets it; erasure notices are not for the screen (probes are on a side output).</summary>
    private static string? FeedJson(Recommendation r) =>
        r.Trigger is ListTrigger.Erased ? null : RecommendationJson.Feed(r, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _traffic;
        Job?.Cancel();
        if (Job is not null)
        {
            try { await Job.Completion.WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (Exception e) when (e is TimeoutException or JobFailedException or OperationCanceledException) { }
        }
        await Server.DisposeAsync();
        await Runtime.DisposeAsync();
        Publisher.Dispose();
        await Broker.DisposeAsync();
        _stop.Dispose();
        if (_deleteState)
        {
            try { Directory.Delete(StateDirectory, recursive: true); }
            catch (IOException) { }
        }
    }
}

/// <summary>Counts the events /collect publishes (for the summary line).</summary>
internal sealed class CountingPublisher(KafkaEventPublisher inner) : IEventPublisher, IDisposable
{
    private long _count;
    public long Count => Interlocked.Read(ref _count);

    public async Task PublishAsync(string topic, IReadOnlyList<CapturedEvent> events, CancellationToken cancellationToken)
    {
        await inner.PublishAsync(topic, events, cancellationToken);
        Interlocked.Add(ref _count, events.Count);
    }

    public void Dispose() => inner.Dispose();
}
