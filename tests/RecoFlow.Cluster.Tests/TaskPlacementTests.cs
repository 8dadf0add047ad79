using System.Collections.Immutable;
using Akka.Actor;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Tests;

/// <summary>Where keyed tasks go: shard and entity ids of a placement, and the allocation that spreads one attempt's shards.</summary>
[Trait("Category", "Slow")]
public sealed class TaskPlacementTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("placement");

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private static PlaceTask Place(int attempt, int subtask) => new("ysb-1", "run1", new JobSubmission("ysb", new Dictionary<string, string>()),
        new TaskPlacementRequest("ysb-7", attempt, 2, subtask, "window-4", 3, 128, null, true, ActorRefs.Nobody));

    [Fact]
    public void Ids_name_the_cluster_job_run_attempt_and_first_key_group()
    {
        Assert.Equal("ysb-1|run1|4|2|1", Place(4, 1).EntityId());
        Assert.Equal("ysb-1|run1|4|window-4|43-85", Place(4, 1).ShardId()); // subtask 1 of 3 owns key groups 43..85 of 128
        Assert.Equal("ysb-1|run1|4|window-4|0-42", new TaskMessageExtractor().ShardId(Place(4, 0)));
        Assert.Equal(43, PlaceTask.KeyGroupsOf(Place(4, 1).ShardId()));
        Assert.Equal(0, PlaceTask.KeyGroupsOf("not-a-task-shard"));
        Assert.Equal("ysb-1|run1|4|", PlaceTask.AttemptPrefixOf(Place(4, 1).ShardId()));
        Assert.Equal("", PlaceTask.AttemptPrefixOf("not-a-task-shard"));
        Assert.Equal("ysb-1|run1|4|window-4|", PlaceTask.VertexPrefixOf(Place(4, 1).ShardId()));
        Assert.Equal("", PlaceTask.VertexPrefixOf("not-a-task-shard"));
    }

    [Fact]
    public async Task A_new_shard_goes_to_the_node_with_the_fewest_shards_of_its_attempt_then_the_fewest_overall()
    {
        var a = _system.ActorOf(Props.Empty, "a");
        var b = _system.ActorOf(Props.Empty, "b");
        var c = _system.ActorOf(Props.Empty, "c");
        var strategy = new SpreadShardAllocationStrategy();
        IImmutableDictionary<IActorRef, IImmutableList<string>> Allocation(string[] onA, string[] onB, string[] onC) =>
            ImmutableDictionary<IActorRef, IImmutableList<string>>.Empty.Add(a, [.. onA]).Add(b, [.. onB]).Add(c, [.. onC]);

        // b holds nothing; c holds shards of an older attempt only: the attempt's first shards go to b, then c.
        var first = Allocation(["ysb-1|run1|2|window-4|0-42"], [], ["ysb-1|run1|1|window-4|0-42", "ysb-1|run1|1|window-4|43-85"]);
        Assert.Equal(b, await strategy.AllocateShard(a, "ysb-1|run1|2|window-4|43-85", first));
        var second = Allocation(["ysb-1|run1|2|window-4|0-42"], ["ysb-1|run1|2|window-4|43-85"], ["ysb-1|run1|1|window-4|0-42", "ysb-1|run1|1|window-4|43-85"]);
        Assert.Equal(c, await strategy.AllocateShard(a, "ysb-1|run1|2|window-4|86-127", second));
        Assert.Empty(await strategy.Rebalance(second, ImmutableHashSet<string>.Empty));
    }

    [Fact]
    public async Task With_several_keyed_vertices_a_new_shard_goes_to_the_node_with_the_fewest_shards_of_its_vertex_first()
    {
        var a = _system.ActorOf(Props.Empty, "a");
        var b = _system.ActorOf(Props.Empty, "b");
        var c = _system.ActorOf(Props.Empty, "c");
        var strategy = new SpreadShardAllocationStrategy();
        const string run = "reco-1|run1|1|";
        // Every node holds two of the attempt's shards; a already holds a scoring shard, b and c none.
        var allocation = ImmutableDictionary<IActorRef, IImmutableList<string>>.Empty
            .Add(a, [.. new[] { run + "user-features|0-42", run + "scoring|0-42" }])
            .Add(b, [.. new[] { run + "user-features|43-85", run + "item-model|0-42" }])
            .Add(c, [.. new[] { run + "user-features|86-127", run + "item-model|43-85" }]);

        Assert.Equal(b, await strategy.AllocateShard(a, run + "scoring|43-85", allocation));
        Assert.Equal(a, await strategy.AllocateShard(a, run + "item-model|86-127", allocation));
    }
}
