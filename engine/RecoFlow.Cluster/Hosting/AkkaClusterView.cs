using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;
using RecoFlow.ControlPlane;

namespace RecoFlow.Cluster.Hosting;

/// <summary>
/// The cluster as this node's gossip shows it: members, their status and reachability, the leader; plus what the
/// gossip forgets, recorded from membership events: when each member came up, and the members removed since.
/// </summary>
public sealed class AkkaClusterView : IClusterView
{
    /// <summary>How many removed members the view remembers.</summary>
    public const int RemovedKept = 20;

    private readonly Akka.Cluster.Cluster _cluster;
    private readonly ConcurrentDictionary<UniqueAddress, DateTimeOffset> _upSince = new();
    private readonly ConcurrentQueue<RemovedMember> _removed = new();

    private volatile IReadOnlyList<ShardingNode> _sharding = [];

    /// <param name="taskRegion">The task shard region to sample every 2 s for <see cref="Sharding"/>; null when tasks are not sharded.</param>
    public AkkaClusterView(ActorSystem system, IActorRef? taskRegion = null)
    {
        _cluster = Akka.Cluster.Cluster.Get(system);
        system.ActorOf(Props.Create(() => new MembershipRecorder(this)), "cluster-view");
        if (taskRegion is not null) system.ActorOf(Props.Create(() => new ShardingSampler(this, taskRegion)), "cluster-view-sharding");
    }

    public IReadOnlyList<ShardingNode> Sharding => _sharding;

    private void OnStats(Akka.Cluster.Sharding.ClusterShardingStats stats) =>
        _sharding = stats.Regions.Select(r => new ShardingNode(
                r.Key.ToString(),
                r.Value.Stats.Count,
                r.Value.Stats.Values.Sum(),
                r.Value.Stats.Where(s => s.Value > 0).Sum(s => Jobs.PlaceTask.KeyGroupsOf(s.Key))))
            .OrderBy(n => n.Address, StringComparer.Ordinal).ToList();

    /// <summary>Asks the region for the cluster-wide shard statistics every 2 s (sharding answers with every region's shards and entities).</summary>
    private sealed class ShardingSampler : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        public ShardingSampler(AkkaClusterView view, IActorRef region)
        {
            Receive<Tick>(_ => region.Tell(new Akka.Cluster.Sharding.GetClusterShardingStats(TimeSpan.FromSeconds(2))));
            Receive<Akka.Cluster.Sharding.ClusterShardingStats>(view.OnStats);
        }

        protected override void PreStart() => Timers.StartPeriodicTimer("sample", Tick.Instance, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        private sealed class Tick
        {
            public static readonly Tick Instance = new();
        }
    }

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
                m.Status is MemberStatus.Joining or MemberStatus.WeaklyUp ? DateTimeOffset.UtcNow : _upSince.GetOrAdd(m.UniqueAddress, _ => DateTimeOffset.UtcNow),
                state.Leader == m.Address,
                m.UniqueAddress == _cluster.SelfUniqueAddress)).ToList();
        }
    }

    public IReadOnlyList<RemovedMember> Removed => _removed.Reverse().ToList();

    private void OnUp(Member m) => _upSince.TryAdd(m.UniqueAddress, DateTimeOffset.UtcNow);

    private void OnRemoved(ClusterEvent.MemberRemoved e)
    {
        _upSince.TryRemove(e.Member.UniqueAddress, out _);
        _removed.Enqueue(new RemovedMember(
            e.Member.Address.ToString(),
            e.Member.Roles.OrderBy(r => r, StringComparer.Ordinal).ToList(),
            e.PreviousStatus.ToString().ToLowerInvariant(),
            DateTimeOffset.UtcNow));
        while (_removed.Count > RemovedKept) _removed.TryDequeue(out _);
    }

    /// <summary>Subscribes to membership events for the view (one per node; events arrive in order).</summary>
    private sealed class MembershipRecorder : ReceiveActor
    {
        public MembershipRecorder(AkkaClusterView view)
        {
            Receive<ClusterEvent.MemberUp>(e => view.OnUp(e.Member));
            Receive<ClusterEvent.MemberRemoved>(view.OnRemoved);
            Receive<ClusterEvent.IMemberEvent>(_ => { });
        }

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}
