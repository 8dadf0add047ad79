using Akka.Configuration;

namespace RecoFlow.Cluster.Hosting;

/// <summary>
/// How a node finds the cluster it joins: <c>recoflow.cluster.bootstrap</c>. <c>off</c> (the default): the seed nodes
/// (<c>recoflow.cluster.seed-nodes</c>, <c>--seed</c>), or itself. <c>kubernetes</c>: Akka.Management's Cluster Bootstrap
/// asks the Kubernetes API (Akka.Discovery.KubernetesApi) for the pods of the service and the pods form one cluster.
/// <c>config</c>: Cluster Bootstrap over the static list in <c>akka.discovery.config.services</c> (hosts without a
/// discovery service, and tests). With a bootstrap the node serves Akka.Management's HTTP endpoint
/// (<c>akka.management.http</c>: <c>/alive</c>, <c>/ready</c>, <c>/bootstrap/seed-nodes</c>) and takes no seed nodes.
/// </summary>
public sealed record NodeBootstrap(string Mode, string ServiceName)
{
    public const string Off = "off";
    public const string Kubernetes = "kubernetes";
    public const string ConfigList = "config";

    public bool Enabled => Mode != Off;

    /// <summary>What the node records as its "seeds" in the state directory lock: nodes of one bootstrapped service share it.</summary>
    public string LockName => $"bootstrap:{ServiceName}";

    /// <summary>Reads <c>recoflow.cluster.bootstrap</c>; throws <see cref="ArgumentException"/> naming a bad value.</summary>
    public static NodeBootstrap From(Config config)
    {
        var mode = config.GetString("recoflow.cluster.bootstrap", Off);
        if (mode is not (Off or Kubernetes or ConfigList))
            throw new ArgumentException($"recoflow.cluster.bootstrap must be off, kubernetes or config, not '{mode}'");
        var service = config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name", "");
        return new NodeBootstrap(mode, string.IsNullOrEmpty(service) || service.StartsWith('<') ? "recoflow" : service);
    }

    /// <summary>
    /// HOCON that the node's configuration falls back to when the bootstrap is on: the discovery method of the mode,
    /// the service name, and the management endpoint on the node's hostname (given quoted for HOCON). Settings in the node's file win.
    /// </summary>
    public Config Defaults(string quotedHostname)
    {
        if (!Enabled) return Config.Empty;
        var method = Mode == Kubernetes ? "kubernetes-api" : "config";
        return ConfigurationFactory.ParseString($$"""
            akka.management {
              http.hostname = {{quotedHostname}}
              cluster.bootstrap.contact-point-discovery {
                service-name = "{{ServiceName}}"
                discovery-method = {{method}}
              }
            }
            akka.discovery.method = {{method}}
            """);
    }
}
