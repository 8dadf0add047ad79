using Akka.Configuration;
using RecoFlow.Cluster.Hosting;

namespace RecoFlow.Cluster.Tests;

/// <summary>The node's scaling settings: slots per node, reactive mode's timing and the autoscaler's thresholds, their defaults and refusals.</summary>
public sealed class ScalingSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scaling-settings").FullName;

    private NodeSettings Resolve(string hocon) => NodeSettings.Resolve(ConfigurationFactory.ParseString(hocon), 4053, null, 0, _dir, _ => null);

    [Fact]
    public void Defaults_come_from_cluster_conf()
    {
        var s = Resolve("");
        Assert.Equal(1, s.SlotsPerNode);
        Assert.Equal(TimeSpan.FromSeconds(5), s.ReactiveStabilization);
        Assert.Equal(TimeSpan.FromSeconds(30), s.ReactiveRetryDelay);
        Assert.Equal((0.8, TimeSpan.FromSeconds(30), 0.3, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(2), 0.55),
            (s.Autoscaler.ScaleUpUtilization, s.Autoscaler.UpAfter, s.Autoscaler.ScaleDownUtilization, s.Autoscaler.DownAfter, s.Autoscaler.CoolDownTime, s.Autoscaler.TargetUtilization));
    }

    [Fact]
    public void A_config_file_sets_them()
    {
        var s = Resolve("recoflow.cluster { slots-per-node = 4, reactive.stabilization = 20s, autoscaler { scale-down-after = 3s, scale-down-utilization = 0.5, target-utilization = 0.6 } }");
        Assert.Equal(4, s.SlotsPerNode);
        Assert.Equal(TimeSpan.FromSeconds(20), s.ReactiveStabilization);
        Assert.Equal((TimeSpan.FromSeconds(3), 0.5, 0.6), (s.Autoscaler.DownAfter, s.Autoscaler.ScaleDownUtilization, s.Autoscaler.TargetUtilization));
    }

    [Fact]
    public void Settings_that_make_no_sense_are_refused_naming_the_key()
    {
        Assert.Contains("recoflow.cluster.slots-per-node must be at least 1, got 0",
            Assert.Throws<ArgumentException>(() => Resolve("recoflow.cluster.slots-per-node = 0")).Message, StringComparison.Ordinal);
        Assert.Contains("recoflow.cluster.autoscaler: the target utilization (0.9)",
            Assert.Throws<ArgumentException>(() => Resolve("recoflow.cluster.autoscaler.target-utilization = 0.9")).Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
