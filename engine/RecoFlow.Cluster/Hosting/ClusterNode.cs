using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Runtime;
using RecoFlow.Server;

namespace RecoFlow.Cluster.Hosting;

/// <summary>
/// One <c>recoflow node</c>: an Akka.NET cluster member started with Akka.Hosting (cluster, sharding settings, the
/// Split Brain Resolver, the checkpoint store), the embedded runtime attached to its actor system, the job manager
/// singleton (on the oldest node with the job-manager role) with a proxy on every node, and the node's HTTP layer.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    public const string JobManagerName = "job-manager";
    public const string JobManagerRole = "job-manager";
    public const string WorkerRole = "worker";
    public const string TaskRegionName = "recoflow-task";

    /// <summary>The erasure and consent log of the nodes, in their shared state directory (see docs/http-api.md, POST /consent).</summary>
    public const string ErasureLogFile = "erasures.jsonl";

    private readonly IHost _host;
    private readonly NodeHttpServer _http;
    private readonly ClusterJobRegistry _jobs;
    private int _stopped;

    private ClusterNode(IHost host, ActorSystem system, NodeHttpServer http, ClusterJobRegistry jobs, NodeSettings settings)
    {
        _host = host;
        System = system;
        _http = http;
        _jobs = jobs;
        Settings = settings;
    }

    public ActorSystem System { get; }
    public NodeSettings Settings { get; }
    public Uri HttpUrl => _http.Url;

    /// <summary>The access token for writes when none was configured and one was generated at start (to print), else null.</summary>
    public string? GeneratedToken { get; private init; }

    /// <summary>Completes when the node's actor system has terminated (it left, or was downed).</summary>
    public Task Terminated => System.WhenTerminated;

    /// <summary>Starts the node and returns once it is Up in the cluster and its HTTP layer listens.</summary>
    public static async Task<ClusterNode> StartAsync(NodeSettings settings, IJobCatalog catalog, TimeSpan joinTimeout, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("recoflow", b => b.AddHocon(settings.Config, HoconAddMode.Replace));
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        var system = host.Services.GetRequiredService<ActorSystem>();
        try
        {
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
            await up.Task.WaitAsync(joinTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
            throw new TimeoutException($"node {settings.Address} did not join the cluster within {joinTimeout.TotalSeconds:F0} s (seeds: {string.Join(", ", settings.Seeds.DefaultIfEmpty("itself"))})");
        }

        var runtime = LocalRuntime.Attach(system);
        var code = new JobCodeCache(catalog);
        var jobManager = new JobManagerSettings(settings.StateDirectory, settings.CheckpointInterval, settings.SavepointTimeout, settings.HandOverTimeout)
        {
            PlacementTimeout = settings.PlacementTimeout,
        };
        // Keyed tasks are entities of this region on every node with the worker role (a node without it only proxies).
        IActorRef? taskRegion = null;
        if (settings.SpreadTasks)
        {
            var sharding = ClusterSharding.Get(system);
            var shardingSettings = ClusterShardingSettings.Create(system).WithRole(WorkerRole);
            var extractor = new TaskMessageExtractor();
            taskRegion = Akka.Cluster.Cluster.Get(system).SelfRoles.Contains(WorkerRole)
                ? await sharding.StartAsync(TaskRegionName, TaskEntity.Props(runtime, code), shardingSettings, extractor, new SpreadShardAllocationStrategy(), PoisonPill.Instance)
                : await sharding.StartProxyAsync(TaskRegionName, WorkerRole, extractor);
        }
        system.ActorOf(ClusterSingletonManager.Props(
                JobManagerActor.Props(runtime, catalog, code, taskRegion, jobManager),
                JobManagerActor.HandOver.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole(JobManagerRole).WithSingletonName(JobManagerName)),
            JobManagerName);
        var proxy = system.ActorOf(ClusterSingletonProxy.Props(
                $"/user/{JobManagerName}",
                ClusterSingletonProxySettings.Create(system).WithRole(JobManagerRole).WithSingletonName(JobManagerName)),
            $"{JobManagerName}-proxy");
        var jobs = new ClusterJobRegistry(proxy, settings.RefreshInterval, settings.AskTimeout);

        var httpOptions = NodeServerOptions.From(settings.Config) with { NodeName = settings.Address };
        // Opt-outs go to the erasure log in the shared state directory: every node follows it, so one holds cluster-wide and across restarts.
        var erasures = new RecoFlow.Operators.Privacy.ErasureLog(Path.Combine(settings.StateDirectory, ErasureLogFile));
        var http = await NodeHttpServer.StartAsync(httpOptions, new NodeServices { Jobs = jobs, Operations = jobs, Cluster = new AkkaClusterView(system, taskRegion), ErasureLog = erasures }, cancellationToken);
        return new ClusterNode(host, system, http, jobs, settings) { GeneratedToken = httpOptions.TokenGenerated ? httpOptions.Token : null };
    }

    /// <summary>Leaves the cluster gracefully (CoordinatedShutdown: singleton hand-over, leave, exit) and stops the HTTP layer.</summary>
    public async Task LeaveAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await _http.DisposeAsync();
        await _jobs.DisposeAsync();
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await LeaveAsync();
        _host.Dispose();
    }
}
