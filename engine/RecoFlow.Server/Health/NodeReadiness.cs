using RecoFlow.ControlPlane;

namespace RecoFlow.Server.Health;

/// <summary>The verdict of a readiness probe: ready or not, and why not (one line per unmet condition).</summary>
public sealed record ReadinessResult(bool Ready, IReadOnlyList<string> Problems);

/// <summary>
/// Whether a node should receive traffic (Kubernetes' readiness probe, <c>/health/ready</c>): it is an <c>up</c>
/// member that the others can reach, and on a node with the job manager's role the job manager singleton answers.
/// Liveness (<c>/health/live</c>) asks for nothing beyond the process serving HTTP, so a slow cluster never gets a
/// node restarted.
/// </summary>
public sealed class NodeReadiness(IClusterView cluster, IJobManagerProbe? jobManager = null)
{
    /// <summary>The role whose nodes host the job manager singleton.</summary>
    public const string JobManagerRole = "job-manager";

    public async Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var self = cluster.Members.FirstOrDefault(m => m.IsSelf);
        if (self is null)
        {
            problems.Add("this node is not a member of the cluster yet");
            return new ReadinessResult(false, problems);
        }
        if (self.Status != "up") problems.Add($"this node's member status is {self.Status}, not up");
        if (!self.Reachable) problems.Add("this node is marked unreachable by the cluster's failure detector");
        if (jobManager is not null && self.Roles.Contains(JobManagerRole) && !await jobManager.JobManagerAnswersAsync(cancellationToken))
            problems.Add("the job manager singleton does not answer");
        return new ReadinessResult(problems.Count == 0, problems);
    }
}
