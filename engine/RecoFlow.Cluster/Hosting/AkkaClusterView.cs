using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;
using RecoFlow.Server.Cluster;

namespace RecoFlow.Cluster.Hosting;

/// <summary>The cluster as this node's gossip shows it: members, their status and reachability, the leader.</summary>
public sealed class AkkaClusterView(ActorSystem system) : IClusterView
{
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(system);
    private readonly ConcurrentDictionary<UniqueAddress, DateTimeOffset> _firstSeenUp = new();

    public IReadOnlyList<ClusterMember> Members
    {
        get
        {
            var state = _cluster.State;
            var unreachable = state.Unreachable.Select(m => m.UniqueAddress).ToHashSet();
            return state.Members.Select(m => new ClusterMember(
                m.Address.ToString(),
                m.Roles.OrderBy(r => r, StringComparer.Ordinal).ToList(),
                m.Status.ToString().ToLowerInvariant(),
                !unreachable.Contains(m.UniqueAddress),
                m.Status == MemberStatus.Up ? _firstSeenUp.GetOrAdd(m.UniqueAddress, _ => DateTimeOffset.UtcNow) : DateTimeOffset.UtcNow,
                state.Leader == m.Address,
                m.UniqueAddress == _cluster.SelfUniqueAddress)).ToList();
        }
    }
}
