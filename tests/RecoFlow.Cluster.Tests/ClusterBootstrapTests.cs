using System.Net;
using System.Text.Json;
using Akka.Configuration;
using Akka.Management.Dsl;
using Akka.Management.Cluster.Bootstrap;
using RecoFlow.Cluster.Hosting;
using RecoFlow.Cluster.Jobs;
using RecoFlow.TestKit;
using RecoFlow.TestSupport;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// <c>recoflow.cluster.bootstrap</c>: with it the node forms its cluster through Akka.Management's Cluster Bootstrap
/// and serves the management endpoint; without it nothing of Akka.Management starts. No Kubernetes API exists here, so
/// the static discovery (<c>config</c>) stands in for <c>kubernetes</c>, which differs only in where the contact points come from.
/// </summary>
public sealed class ClusterBootstrapTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-bootstrap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class NoJobs : IJobCatalog
    {
        public LoadedJob Load(JobSubmission submission) => throw new JobSubmissionException("no jobs in this test");
    }

    /// <summary>HOCON of a one-node bootstrap over static discovery, its management endpoint on <paramref name="management"/>.</summary>
    private static Config BootstrapConfig(int management) => ConfigurationFactory.ParseString($$"""
        recoflow.cluster.bootstrap = config
        akka.management.http { hostname = "127.0.0.1", port = {{management}} }
        akka.management.cluster.bootstrap.contact-point-discovery {
          required-contact-point-nr = 1
          stable-margin = 1s
          interval = 200ms
        }
        akka.discovery.config.services.recoflow.endpoints = ["127.0.0.1:{{management}}"]
        """);

    private const string CeenHttpd = "Akka.Management 1.5.73 binds its HTTP endpoint through Akka.Http.Shim, built against Ceen.Httpd 0.9.9; " +
        "the package registry serves only Ceen.Httpd 0.9.10, whose HttpServer.ListenAsync takes an EndPoint instead of an IPEndPoint, so the " +
        "bind fails with MissingMethodException (cluster-config/kubernetes/README.md). Enable when a Ceen.Httpd or Akka.Management that fit is served.";

    [Fact(Skip = CeenHttpd)]
    public async Task Node_with_bootstrap_config_forms_its_cluster_and_serves_the_management_endpoint()
    {
        var management = NodeProcess.FreePort();
        var settings = NodeSettings.Resolve(BootstrapConfig(management), NodeProcess.FreePort(), null, 0, Path.Combine(_dir, "state"));
        await using var node = await ClusterNode.StartAsync(settings, new NoJobs(), TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.True(node.System.HasExtension<AkkaManagement>());
        Assert.True(node.System.HasExtension<ClusterBootstrap>());

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{management}/"), Timeout = TimeSpan.FromSeconds(10) };
        using (var alive = await http.GetAsync("alive"))
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        using var seeds = await http.GetAsync("bootstrap/seed-nodes");
        var body = await seeds.Content.ReadAsStringAsync();
        Assert.True(seeds.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(settings.Address, JsonDocument.Parse(body).RootElement.GetProperty("selfNode").GetString());
    }

    /// <summary>
    /// What a node with a bootstrap does with the packages served today (see <see cref="CeenHttpd"/>): it takes the
    /// bootstrap path (no seed nodes, Akka.Management's discovery settings), and when the management endpoint cannot
    /// bind it stops at once with an error that names it, not after the join timeout. Fails once the endpoint starts:
    /// then enable the test above instead.
    /// </summary>
    [Fact]
    public async Task Node_with_bootstrap_config_takes_the_bootstrap_path_and_fails_fast_when_the_management_endpoint_cannot_bind()
    {
        var settings = NodeSettings.Resolve(BootstrapConfig(NodeProcess.FreePort()), NodeProcess.FreePort(), null, 0, Path.Combine(_dir, "state"));
        Assert.Equal(NodeBootstrap.ConfigList, settings.Bootstrap.Mode);
        Assert.Empty(settings.Config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("config", settings.Config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
        Assert.Equal("recoflow", settings.Config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name"));

        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<NodeStartException>(() => ClusterNode.StartAsync(settings, new NoJobs(), TimeSpan.FromSeconds(60), CancellationToken.None));
        Assert.Contains("Akka.Management's HTTP endpoint", e.Message, StringComparison.Ordinal);
        Assert.Contains("cluster bootstrap: config discovery of service 'recoflow'", e.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(45), $"took {started.Elapsed.TotalSeconds:F0} s, the join timeout is 60 s");
    }

    [Fact]
    public async Task Node_without_bootstrap_config_starts_no_management_and_seeds_itself()
    {
        var settings = NodeSettings.Resolve(Config.Empty, NodeProcess.FreePort(), null, 0, Path.Combine(_dir, "state"));
        Assert.False(settings.Bootstrap.Enabled);
        Assert.Equal([$"akka.tcp://recoflow@127.0.0.1:{settings.Port}"], settings.Config.GetStringList("akka.cluster.seed-nodes"));
        Assert.False(settings.Config.HasPath("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"));

        await using var node = await ClusterNode.StartAsync(settings, new NoJobs(), TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.False(node.System.HasExtension<AkkaManagement>());
        Assert.False(node.System.HasExtension<ClusterBootstrap>());
    }

    [Fact]
    public void Bootstrap_refuses_seed_nodes_and_unknown_modes()
    {
        var bootstrap = ConfigurationFactory.ParseString("recoflow.cluster.bootstrap = kubernetes");
        var e = Assert.Throws<ArgumentException>(() => NodeSettings.Resolve(bootstrap, 4053, ["127.0.0.1:4054"], 0, Path.Combine(_dir, "state")));
        Assert.Contains("--seed", e.Message, StringComparison.Ordinal);
        var bad = ConfigurationFactory.ParseString("recoflow.cluster.bootstrap = consul");
        e = Assert.Throws<ArgumentException>(() => NodeSettings.Resolve(bad, 4053, null, 0, Path.Combine(_dir, "state")));
        Assert.Contains("'consul'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kubernetes_ConfigMap_holds_a_node_configuration_that_bootstraps_through_the_Kubernetes_API()
    {
        var hocon = ConfigMapEntry(RepositoryFiles.Path("cluster-config", "kubernetes", "configmap.yaml"), "kubernetes.conf");
        // The pod's IP, as the StatefulSet passes it from the downward API.
        var environment = new Dictionary<string, string> { [NodeSettings.HostnameEnvironmentVariable] = "10.1.2.3" };
        var settings = NodeSettings.Resolve(ConfigurationFactory.ParseString(hocon), null, null, null, Path.Combine(_dir, "state"), environment.GetValueOrDefault);
        Assert.Equal("akka.tcp://recoflow@10.1.2.3:4053", settings.Address);
        Assert.Equal("10.1.2.3", settings.Config.GetString("akka.management.http.hostname"));
        Assert.Equal("10.1.2.3", settings.Hostname);
        Assert.Equal("app=%s", settings.Config.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
        Assert.Equal(NodeBootstrap.Kubernetes, settings.Bootstrap.Mode);
        Assert.Equal("recoflow", settings.Bootstrap.ServiceName);
        Assert.Empty(settings.Config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("kubernetes-api", settings.Config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
        Assert.Equal(8558, settings.Config.GetInt("akka.management.http.port"));
        Assert.Equal(4053, settings.Port);
        Assert.Equal(8081, settings.HttpPort);
    }

    /// <summary>The text of a block scalar (<c>KEY: |</c>) under <c>data:</c> of a ConfigMap manifest, de-indented.</summary>
    private static string ConfigMapEntry(string path, string key)
    {
        var lines = File.ReadAllLines(path);
        var start = Array.FindIndex(lines, l => l.Trim() == $"{key}: |");
        Assert.True(start >= 0, $"{path} has no block '{key}: |'");
        var keyIndent = lines[start].Length - lines[start].TrimStart().Length;
        var block = lines.Skip(start + 1)
            .TakeWhile(l => l.Trim().Length == 0 || l.Length - l.TrimStart().Length > keyIndent)
            .ToList();
        var indent = block.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', block.Select(l => l.Length >= indent ? l[indent..] : ""));
    }
}
