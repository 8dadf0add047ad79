using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoFlow.Cluster.Jobs;
using RecoFlow.ControlPlane;
using RecoFlow.Runtime;

namespace RecoFlow.Cluster.Hosting;

/// <summary>
/// One <c>recoflow node</c>: an Akka.NET cluster member started with Akka.Hosting (cluster, sharding settings, the
/// Split Brain Resolver, the checkpoint store), the embedded runtime attached to its actor system, the job manager
/// singleton (on the oldest node with the job-manager role) with a proxy on every node. It serves no HTTP: the host
/// starts the node's web layer over <see cref="Jobs"/> and <see cref="ClusterView"/> (the CLI's <c>recoflow node</c> does).
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    public const string JobManagerName = "job-manager";
    public const string JobManagerRole = "job-manager";
    public const string WorkerRole = "worker";
    public const string TaskRegionName = "recoflow-task";

    private readonly IHost _host;
    private readonly ClusterJobRegistry _jobs;
    private int _stopped;

    private ClusterNode(IHost host, ActorSystem system, ClusterJobRegistry jobs, IClusterView clusterView, NodeSettings settings)
    {
        _host = host;
        System = system;
        _jobs = jobs;
        ClusterView = clusterView;
        Settings = settings;
    }

    public ActorSystem System { get; }
    public NodeSettings Settings { get; }

    /// <summary>The cluster's jobs, through the job manager singleton: what the node's web layer lists, submits and operates.</summary>
    public ClusterJobRegistry Jobs => _jobs;

    /// <summary>Members, reachability and task placement as this node sees them.</summary>
    public IClusterView ClusterView { get; }

    /// <summary>Completes when the node's actor system has terminated (it left, or was downed).</summary>
    public Task Terminated => System.WhenTerminated;

    /// <summary>Starts the node and returns once it is Up in the cluster.</summary>
    public static async Task<ClusterNode> StartAsync(NodeSettings settings, IJobCatalog catalog, TimeSpan joinTimeout, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        var bootstrap = settings.Bootstrap;
        builder.Services.AddAkka("recoflow", b =>
        {
            b.AddHocon(settings.Config, HoconAddMode.Replace);
            // Cluster Bootstrap (and with it the management endpoint) only when the node's configuration asks for it;
            // its settings come from the node's HOCON (akka.management, akka.discovery), the options add none.
            if (bootstrap.Enabled)
            {
                if (bootstrap.Mode == NodeBootstrap.Kubernetes)
                    b.AddHocon(KubernetesDiscovery.DefaultConfiguration(), HoconAddMode.Append);
                b.WithClusterBootstrap(new ClusterBootstrapOptions(), autoStart: true);
            }
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        var system = host.Services.GetRequiredService<ActorSystem>();
        try
        {
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
            // The actor system may stop before the node is Up (Cluster Bootstrap terminates it when the management
            // endpoint cannot start): fail then, naming the cause, rather than at the join timeout.
            await Task.WhenAny(up.Task, system.WhenTerminated).WaitAsync(joinTimeout, cancellationToken);
            if (!up.Task.IsCompleted)
            {
                await host.StopAsync(CancellationToken.None);
                host.Dispose();
                throw new NodeStartException($"node {settings.Address} stopped before it joined the cluster ({JoinSource(settings)}); " +
                    (settings.Bootstrap.Enabled ? "Akka.Management's HTTP endpoint or Cluster Bootstrap failed to start: see the node's log" : "see the node's log"));
            }
        }
        catch (TimeoutException)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
            throw new TimeoutException($"node {settings.Address} did not join the cluster within {joinTimeout.TotalSeconds:F0} s ({JoinSource(settings)})");
        }

        // A node whose state differs from the cluster's leaves before it hosts a task or the job manager (the job manager
        // checks again at each submission, for nodes that joined at the same moment).
        if (JoinRefusal(system, settings) is { } refusal)
        {
            using (var leaving = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                try { await Akka.Cluster.Cluster.Get(system).LeaveAsync(leaving.Token); }
                catch (OperationCanceledException) { }
            }
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
            throw new NodeRefusedException(refusal);
        }

        var runtime = LocalRuntime.Attach(system);
        var code = new JobCodeCache(catalog);
        var jobManager = new JobManagerSettings(settings.StateDirectory, settings.CheckpointInterval, settings.SavepointTimeout, settings.HandOverTimeout)
        {
            PlacementTimeout = settings.PlacementTimeout,
            SlotsPerNode = settings.SlotsPerNode,
            ReactiveStabilization = settings.ReactiveStabilization,
            ReactiveRetryDelay = settings.ReactiveRetryDelay,
            Autoscaler = settings.Autoscaler,
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
                DispatcherActor.Props(runtime, catalog, code, taskRegion, jobManager),
                DispatcherActor.HandOver.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole(JobManagerRole).WithSingletonName(JobManagerName)),
            JobManagerName);
        var proxy = system.ActorOf(ClusterSingletonProxy.Props(
                $"/user/{JobManagerName}",
                ClusterSingletonProxySettings.Create(system).WithRole(JobManagerRole).WithSingletonName(JobManagerName)),
            $"{JobManagerName}-proxy");
        var jobs = new ClusterJobRegistry(proxy, settings.RefreshInterval, settings.AskTimeout);
        return new ClusterNode(host, system, jobs, new AkkaClusterView(system, taskRegion), settings);
    }

    /// <summary>Leaves the cluster gracefully (CoordinatedShutdown: singleton hand-over, leave, exit). Stop the web layer first.</summary>
    public async Task LeaveAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
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

    private static string JoinSource(NodeSettings settings) => settings.Bootstrap.Enabled
        ? $"cluster bootstrap: {settings.Bootstrap.Mode} discovery of service '{settings.Bootstrap.ServiceName}'"
        : $"seeds: {string.Join(", ", settings.Seeds.DefaultIfEmpty("itself"))}";

    private static string? JoinRefusal(ActorSystem system, NodeSettings settings)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        return SharedStateCheck.CheckJoin(cluster.SelfAddress.ToString(), settings.StateIdentity, SharedStateCheck.Members(cluster.State));
    }
}

/// <summary>The node's actor system stopped before the node was Up in the cluster; the message says how it was joining.</summary>
public sealed class NodeStartException : Exception
{
    public NodeStartException(string message) : base(message) { }
    public NodeStartException() { }
    public NodeStartException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The node may not stay in the cluster it joined (its state is not the cluster's); the message names the nodes and the setting to fix.</summary>
public sealed class NodeRefusedException : Exception
{
    public NodeRefusedException(string message) : base(message) { }
    public NodeRefusedException() { }
    public NodeRefusedException(string message, Exception inner) : base(message, inner) { }
}
