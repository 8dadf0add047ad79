using Akka.Configuration;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime;

namespace RecoFlow.Cluster.Hosting;

/// <summary>
/// What a node starts with, resolved from (highest first) command-line flags, the --config file, the embedded
/// cluster.conf, the runtime's reference.conf. <see cref="Config"/> is the complete HOCON of the node's actor system.
/// </summary>
public sealed record NodeSettings(string Hostname, int Port, IReadOnlyList<string> Seeds, int HttpPort, string StateDirectory, Config Config, string Protocol = "akka.tcp")
{
    /// <summary>The embedded cluster.conf: the one place the node's defaults live.</summary>
    public static Config DefaultConfig { get; } = LoadDefaults();

    /// <summary>Akka address of the node, e.g. <c>akka.tcp://recoflow@127.0.0.1:4053</c> (<c>akka.ssl.tcp</c> with TLS).</summary>
    public string Address => $"{Protocol}://recoflow@{Hostname}:{Port}";

    /// <summary>The state directory and checkpoint store this node advertises (<see cref="NodeStateIdentity"/>).</summary>
    public NodeStateIdentity? StateIdentity => NodeStateIdentity.FromRoles(Config.GetStringList("akka.cluster.roles") ?? []);

    public TimeSpan CheckpointInterval => Config.GetTimeSpan("recoflow.cluster.job-manager.checkpoint-interval");
    public TimeSpan SavepointTimeout => Config.GetTimeSpan("recoflow.cluster.job-manager.savepoint-timeout");
    public TimeSpan HandOverTimeout => Config.GetTimeSpan("recoflow.cluster.job-manager.hand-over-timeout");
    public TimeSpan RefreshInterval => Config.GetTimeSpan("recoflow.cluster.job-manager.refresh-interval");
    public TimeSpan AskTimeout => Config.GetTimeSpan("recoflow.cluster.job-manager.ask-timeout");
    public TimeSpan JoinTimeout => Config.GetTimeSpan("recoflow.cluster.join-timeout");
    public TimeSpan PlacementTimeout => Config.GetTimeSpan("recoflow.cluster.tasks.placement-timeout");

    /// <summary>Task slots per worker node (<c>recoflow.cluster.slots-per-node</c>): a reactive job's parallelism is worker nodes × this.</summary>
    public int SlotsPerNode => Config.GetInt("recoflow.cluster.slots-per-node", 1);

    /// <summary>How long the worker count must stay the same before reactive jobs are rescaled (<c>recoflow.cluster.reactive.stabilization</c>).</summary>
    public TimeSpan ReactiveStabilization => Config.GetTimeSpan("recoflow.cluster.reactive.stabilization", TimeSpan.FromSeconds(5));

    /// <summary>The autoscaler's thresholds (<c>recoflow.cluster.autoscaler</c>); a job's bounds replace the min and max of 1 here.</summary>
    public AutoscalerSettings Autoscaler => AutoscalerFrom(Config.GetConfig("recoflow.cluster"));

    private static AutoscalerSettings AutoscalerFrom(Config cluster) => new(1, 1,
        ScaleUpUtilization: cluster.GetDouble("autoscaler.scale-up-utilization", 0.8),
        ScaleUpAfter: cluster.GetTimeSpan("autoscaler.scale-up-after", TimeSpan.FromSeconds(30)),
        ScaleDownUtilization: cluster.GetDouble("autoscaler.scale-down-utilization", 0.3),
        ScaleDownAfter: cluster.GetTimeSpan("autoscaler.scale-down-after", TimeSpan.FromMinutes(5)),
        CoolDown: cluster.GetTimeSpan("autoscaler.cool-down", TimeSpan.FromMinutes(2)),
        TargetUtilization: cluster.GetDouble("autoscaler.target-utilization", 0.55));

    /// <summary>How long after a failed rescale the next may start (<c>recoflow.cluster.reactive.retry-delay</c>).</summary>
    public TimeSpan ReactiveRetryDelay => Config.GetTimeSpan("recoflow.cluster.reactive.retry-delay", TimeSpan.FromSeconds(30));

    /// <summary>How the node finds its cluster: seed nodes, or Akka.Management's Cluster Bootstrap (<c>recoflow.cluster.bootstrap</c>).</summary>
    public NodeBootstrap Bootstrap => NodeBootstrap.From(Config);

    /// <summary>Keyed tasks run on the task region across the nodes (<c>recoflow.cluster.tasks.placement = spread</c>), else all on the job manager's node.</summary>
    public bool SpreadTasks => Config.GetString("recoflow.cluster.tasks.placement", "spread") switch
    {
        "spread" => true,
        "local" => false,
        var other => throw new ArgumentException($"recoflow.cluster.tasks.placement must be spread or local, not '{other}'"),
    };

    /// <summary>
    /// Resolves the node's settings. <paramref name="file"/> is the parsed --config file (or empty); the other
    /// arguments are the flags, null when not given. Throws <see cref="ArgumentException"/> naming a bad value.
    /// </summary>
    public static NodeSettings Resolve(Config file, int? port, IReadOnlyList<string>? seeds, int? httpPort, string? stateDirectory)
        => Resolve(file, port, seeds, httpPort, stateDirectory, Environment.GetEnvironmentVariable);

    /// <summary>The environment variable that overrides <c>recoflow.cluster.hostname</c> (a pod's IP from the downward API).</summary>
    public const string HostnameEnvironmentVariable = "RECOFLOW_HOSTNAME";

    /// <summary><see cref="Resolve(Config, int?, IReadOnlyList{string}?, int?, string?)"/> reading the environment through <paramref name="environment"/>.</summary>
    public static NodeSettings Resolve(Config file, int? port, IReadOnlyList<string>? seeds, int? httpPort, string? stateDirectory, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var c = file.WithFallback(DefaultConfig).GetConfig("recoflow.cluster");
        var hostname = environment(HostnameEnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : c.GetString("hostname");
        var p = port ?? c.GetInt("port");
        var h = httpPort ?? c.GetInt("http-port");
        if (p is < 1 or > 65535) throw new ArgumentException($"port {p} is out of range 1..65535");
        if (h is < 0 or > 65535) throw new ArgumentException($"http port {h} is out of range 0..65535");
        IReadOnlyList<string> seedList = seeds is { Count: > 0 } ? seeds : (c.GetStringList("seed-nodes") ?? []).ToList();
        foreach (var s in seedList)
        {
            var colon = s.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(s.AsSpan(colon + 1), out var sp) || sp is < 1 or > 65535)
                throw new ArgumentException($"seed '{s}' is not host:port");
        }
        var bootstrap = NodeBootstrap.From(file.WithFallback(DefaultConfig));
        if (bootstrap.Enabled && seedList.Count > 0)
            throw new ArgumentException($"recoflow.cluster.bootstrap = {bootstrap.Mode} finds the cluster itself: give no --seed and no recoflow.cluster.seed-nodes");
        var slots = c.GetInt("slots-per-node", 1);
        if (slots < 1) throw new ArgumentException($"recoflow.cluster.slots-per-node must be at least 1, got {slots}");
        try { AutoscalerFrom(c).Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"recoflow.cluster.autoscaler: {e.Message}", e); }
        var dir = Path.GetFullPath(stateDirectory ?? c.GetString("state-directory"));
        Directory.CreateDirectory(dir);

        // With TLS, Akka.Remote's DotNetty transport speaks (and addresses nodes with) akka.ssl.tcp.
        var protocol = file.WithFallback(DefaultConfig).GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false) ? "akka.ssl.tcp" : "akka.tcp";
        // With a bootstrap there are no seed nodes: Cluster Bootstrap joins the node (or forms the cluster).
        IEnumerable<string> seedAddresses = bootstrap.Enabled ? []
            : (seedList.Count > 0 ? seedList : [$"{hostname}:{p}"]).Select(s => $"\"{protocol}://recoflow@{s}\"");
        var flags = ConfigurationFactory.ParseString($$"""
            recoflow.cluster { port = {{p}}, http-port = {{h}}, state-directory = {{Quote(dir)}} }
            recoflow.http.port = {{h}}
            recoflow.cluster.hostname = {{Quote(hostname)}}
            akka.remote.dot-netty.tcp { hostname = {{Quote(hostname)}}, port = {{p}} }
            akka.cluster.seed-nodes = [{{string.Join(", ", seedAddresses)}}]
            """);
        var merged = flags.WithFallback(file).WithFallback(bootstrap.Defaults(Quote(hostname))).WithFallback(DefaultConfig);
        var store = CheckpointStore.IsConfigured(merged) ? CheckpointStore.FromFile(merged) : CheckpointStore.Sqlite(Path.Combine(dir, "checkpoints.db")).WithFallback(merged);
        var full = store.WithFallback(RuntimeSettings.ReferenceConfig);
        // The node says which state directory and checkpoint store it uses, as a role: the job manager compares them.
        var roles = (full.GetStringList("akka.cluster.roles") ?? []).Where(r => !r.StartsWith(NodeStateIdentity.RolePrefix, StringComparison.Ordinal))
            .Append(NodeStateIdentity.Of(dir, full).ToRole());
        full = ConfigurationFactory.ParseString($"akka.cluster.roles = [{string.Join(", ", roles.Select(Quote))}]").WithFallback(full);
        return new NodeSettings(hostname, p, seedList.ToList(), h, dir, full, protocol);
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static Config LoadDefaults()
    {
        // Sharding's and Distributed Data's serializers must be bound before the node talks to any other: a node that
        // starts its task region later than its peers would otherwise fail to read their replicator messages.
        return EmbeddedResources.ReadConfig(typeof(NodeSettings).Assembly, "RecoFlow.Cluster.cluster.conf")
            .WithFallback(Akka.Cluster.Sharding.ClusterSharding.DefaultConfig())
            .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());
    }
}
