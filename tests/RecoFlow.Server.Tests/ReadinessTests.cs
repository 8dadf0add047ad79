using RecoFlow.ControlPlane;
using RecoFlow.Server.Health;

namespace RecoFlow.Server.Tests;

/// <summary><see cref="NodeReadiness"/>: up, reachable, and on a job manager node the singleton answers.</summary>
public sealed class ReadinessTests
{
    private sealed class View(params ClusterMember[] members) : IClusterView
    {
        public IReadOnlyList<ClusterMember> Members => members;
    }

    private sealed class Probe(bool answers) : IJobManagerProbe
    {
        public int Asked { get; private set; }

        public Task<bool> JobManagerAnswersAsync(CancellationToken cancellationToken)
        {
            Asked++;
            return Task.FromResult(answers);
        }
    }

    private static ClusterMember Self(string status = "up", bool reachable = true, params string[] roles) =>
        new("akka.tcp://recoflow@10.0.0.1:4053", roles.Length == 0 ? ["job-manager", "worker"] : roles, status, reachable, DateTimeOffset.UtcNow, false, IsSelf: true);

    private static ClusterMember Other() =>
        new("akka.tcp://recoflow@10.0.0.2:4053", ["worker"], "up", true, DateTimeOffset.UtcNow, true, IsSelf: false);

    [Fact]
    public async Task An_up_reachable_member_whose_job_manager_answers_is_ready()
    {
        var result = await new NodeReadiness(new View(Self(), Other()), new Probe(true)).CheckAsync(default);
        Assert.True(result.Ready);
        Assert.Empty(result.Problems);
    }

    [Theory]
    [InlineData("joining", true, true, "member status is joining")]
    [InlineData("leaving", true, true, "member status is leaving")]
    [InlineData("up", false, true, "unreachable")]
    [InlineData("up", true, false, "job manager singleton does not answer")]
    public async Task Each_unmet_condition_makes_the_node_unready_and_is_named(string status, bool reachable, bool answers, string problem)
    {
        var result = await new NodeReadiness(new View(Self(status, reachable), Other()), new Probe(answers)).CheckAsync(default);
        Assert.False(result.Ready);
        Assert.Contains(result.Problems, p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_that_is_not_a_member_yet_is_unready()
    {
        var result = await new NodeReadiness(new View(Other()), new Probe(true)).CheckAsync(default);
        Assert.False(result.Ready);
        Assert.Contains("not a member", Assert.Single(result.Problems));
    }

    [Fact]
    public async Task A_worker_only_node_does_not_ask_the_job_manager()
    {
        var probe = new Probe(false);
        var result = await new NodeReadiness(new View(Self(roles: "worker"), Other()), probe).CheckAsync(default);
        Assert.True(result.Ready);
        Assert.Equal(0, probe.Asked);
    }
}
