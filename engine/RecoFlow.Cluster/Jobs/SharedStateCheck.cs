using RecoFlow.Cluster.Hosting;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// Whether the nodes that may run a checkpointed job share one state directory and checkpoint store. A job whose
/// tasks checkpoint on nodes that do not cannot be restored after a failure ("the state of task ... is missing from
/// the store"), so the job manager refuses it at submission, naming the nodes and the settings to fix.
/// </summary>
public static class SharedStateCheck
{
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
        var uses = groups.Select(g => $"{string.Join(", ", g.Nodes)} use{(g.Nodes.Count == 1 ? "s" : "")} state directory {g.Identity.Directory} (id {g.Identity.StateId[..Math.Min(8, g.Identity.StateId.Length)]}, checkpoint store {g.Identity.Store})");
        return $"job '{job}' refused: its checkpoints could not be restored, because the nodes do not share one checkpoint store and state directory: " +
               string.Join("; ", uses) +
               ". Give every node the same --state-dir (recoflow.cluster.state-directory) on one machine; across machines, a --state-dir on a shared file system " +
               "and one checkpoint store (--config cluster-config/persistence-postgres.conf with RECOFLOW_PERSISTENCE_CONNECTION). See docs/cluster.md";
    }
}
