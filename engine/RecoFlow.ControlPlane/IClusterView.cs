namespace RecoFlow.ControlPlane;

/// <summary>One cluster member as the API shows it (shape of Akka.Cluster's Member plus reachability).</summary>
/// <param name="Address">Akka address, e.g. <c>akka.tcp://recoflow@10.0.0.5:4053</c>, or the node name without a cluster.</param>
/// <param name="Status">Akka member status: joining, up, leaving, exiting, down, removed.</param>
/// <param name="Reachable">False when the failure detector of some member marks it unreachable.</param>
/// <param name="UpSince">When this node first saw the member up (its own start for members that were up before it joined).</param>
public sealed record ClusterMember(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable, DateTimeOffset UpSince, bool IsLeader, bool IsSelf);

/// <summary>A member that left the cluster or was downed and then removed, as this node saw it go.</summary>
/// <param name="PreviousStatus">Its status just before removal: <c>exiting</c> after a graceful leave, <c>down</c> after it was downed.</param>
public sealed record RemovedMember(string Address, IReadOnlyList<string> Roles, string PreviousStatus, DateTimeOffset RemovedAt);

/// <summary>What the node knows of its cluster. A cluster node implements it over Akka.Cluster's state.</summary>
public interface IClusterView
{
    IReadOnlyList<ClusterMember> Members { get; }

    /// <summary>Members removed since this node started, newest first (a bounded number of them).</summary>
    IReadOnlyList<RemovedMember> Removed => [];

    /// <summary>Keyed tasks per node (the task shard region), as last sampled; empty when tasks are not sharded.</summary>
    IReadOnlyList<ShardingNode> Sharding => [];
}

/// <summary>What one node hosts of the task shard region.</summary>
/// <param name="Shards">Shards allocated to the node (empty ones of ended attempts included).</param>
/// <param name="Entities">Keyed tasks running on the node.</param>
/// <param name="KeyGroups">Key groups owned by those tasks.</param>
public sealed record ShardingNode(string Address, int Shards, int Entities, int KeyGroups);

/// <summary>A node running alone (the embedded runtime): itself, up, reachable and leader.</summary>
public sealed class SingleNodeClusterView(string nodeName, IReadOnlyList<string>? roles = null) : IClusterView
{
    private readonly ClusterMember _self = new(nodeName, roles ?? ["job-manager", "worker"], "up", true, DateTimeOffset.UtcNow, true, true);

    public IReadOnlyList<ClusterMember> Members => [_self];
}
