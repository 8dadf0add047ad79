using Akka.Cluster;
using RecoFlow.Cluster.Hosting;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// Whether the nodes that may run a checkpointed job share one state directory and checkpoint store. A job whose
/// tasks checkpoint on nodes that do not cannot be restored after a failure ("the state of task ... is missing from
/// the store"), so the job manager refuses it at submission, naming the nodes and the settings to fix.
/// </summary>
public static class SharedStateCheck
{
    /// <summary>The members that may run a job's tasks or its job manager (up or joining, worker or job-manager role), with the state each advertises.</summary>
    public static IEnumerable<(string Node, NodeStateIdentity? Identity)> Members(ClusterEvent.CurrentClusterState state) =>
        state.Members
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Where(m => m.HasRole(ClusterNode.WorkerRole) || m.HasRole(ClusterNode.JobManagerRole))
            .Select(m => (m.Address.ToString(), NodeStateIdentity.FromRoles(m.Roles)));

    /// <summary>
    /// Null when every node of <paramref name="nodes"/> that says which state it uses uses the same; otherwise the
    /// reason to refuse <paramref name="job"/>.
    /// </summary>
    public static string? Check(string job, IEnumerable<(string Node, NodeStateIdentity? Identity)> nodes)
    {
        var known = nodes.Where(n => n.Identity is not null).OrderBy(n => n.Node, StringComparer.Ordinal).ToList();
        if (known.Count < 2) return null;
        var groups = new List<(NodeStateIdentity Identity, List<string> Nodes)>();
        foreach (var (node, identity) in known)
        {
            var g = groups.FindIndex(x => x.Identity.Shares(identity!));
            if (g >= 0) groups[g].Nodes.Add(node);
            else groups.Add((identity!, [node]));
        }
        if (groups.Count == 1) return null;
        var uses = groups.Select(g => Uses(g.Nodes, g.Identity));
        return $"job '{job}' refused: its checkpoints could not be restored, because the nodes do not share one checkpoint store and state directory: " +
               string.Join("; ", uses) + ". " + Advice;
    }

    /// <summary>
    /// Null when every node of <paramref name="members"/> that says which state it uses shares <paramref name="self"/>'s;
    /// otherwise why the joining node <paramref name="node"/> must not stay in the cluster (it could host tasks of a
    /// checkpointed job whose state the others could not restore, or the other way round).
    /// </summary>
    public static string? CheckJoin(string node, NodeStateIdentity? self, IEnumerable<(string Node, NodeStateIdentity? Identity)> members)
    {
        if (self is null) return null;
        var others = members.Where(m => m.Node != node && m.Identity is not null && !m.Identity.Shares(self))
            .OrderBy(m => m.Node, StringComparer.Ordinal).ToList();
        if (others.Count == 0) return null;
        var uses = others.GroupBy(m => m.Identity!).Select(g => Uses(g.Select(m => m.Node).ToList(), g.Key));
        return $"node {node} refused to join: it uses {Describe(self)}, " +
               $"but {string.Join("; ", uses)}. The nodes of a cluster must share one checkpoint store and state directory, or a checkpointed job could not restore its tasks. " + Advice;
    }

    private const string Advice =
        "Give every node the same --state-dir (recoflow.cluster.state-directory) on one machine; across machines, a --state-dir on a shared file system " +
        "and one checkpoint store (--config cluster-config/persistence-postgres.conf with RECOFLOW_PERSISTENCE_CONNECTION). See docs/cluster.md";

    private static string Uses(IReadOnlyList<string> nodes, NodeStateIdentity identity) =>
        $"{string.Join(", ", nodes)} use{(nodes.Count == 1 ? "s" : "")} {Describe(identity)}";

    private static string Describe(NodeStateIdentity identity) =>
        $"state directory {identity.Directory} (id {identity.StateId[..Math.Min(8, identity.StateId.Length)]}, checkpoint store {identity.Store})";
}
