using RecoFlow.Api.State;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Runtime.State;
using RecoFlow.TestKit;
using static RecoFlow.Tests.Recommendations.Scoring.Deltas;

namespace RecoFlow.Tests.Recommendations.Scoring;

/// <summary>
/// Neighbour lists travel as changes: the item model publishes the links a version added, strengthened or dropped, and
/// a scoring replica applies them to its lists (strongest first) and undoes them exactly.
/// </summary>
public sealed class NeighbourDeltaTests
{
    private const long T0 = 1_700_000_000_000;

    [Fact]
    public void A_replica_fed_the_item_models_changes_holds_its_neighbour_lists_across_a_restore()
    {
        var options = new ItemModelOptions(MaxNeighbours: 4, PublishInterval: TimeSpan.FromMinutes(1));
        using var h = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(options), typeof(string)).Open();
        var rng = new Random(5);
        for (int i = 0; i < 600; i++)
        {
            if (i == 300) h.SnapshotAndRestore();
            long ts = T0 + i * 7_000L;
            string item = $"i{rng.Next(12)}";
            int links = rng.Next(4);
            var co = Enumerable.Range(0, links).Select(_ => $"i{rng.Next(12)}").Where(c => c != item).Distinct().ToArray();
            h.ProcessElement(new ItemFeedback(item, $"u{rng.Next(9)}", 1, true, ts, co, [.. co.Select((_, d) => 1f / (1 + d))], rng.Next(3) == 0), ts);
        }
        h.Finish();

        var deltas = h.OutputValues;
        var entries = deltas.SelectMany(d => d.Items).Where(e => e.TouchesNeighbours).ToList();
        Assert.All(entries, e => Assert.Null(e.Neighbours));
        Assert.Contains(entries, e => e.NeighbourRemovals is { Length: > 0 });
        Assert.True(entries.Average(e => e.NeighbourUpdates!.Length) < options.MaxNeighbours, "a version carries the changed links, not whole lists");

        var store = new ModelStore { VersionsKept = 1000 };
        foreach (var d in deltas) store.Enqueue(d);
        store.AdvanceTo(long.MaxValue);
        string replica = Describe(store);

        // The item model's own lists, converted as the store converts weights, strongest first.
        var backend = h.Context.GetKeyedStateBackend<string>();
        var state = backend.GetValueState(ItemModelOperator.ItemState);
        for (int n = 0; n < 12; n++)
        {
            string id = $"i{n}";
            backend.CurrentKey = id;
            var expected = state.Value is { } s
                ? s.Neighbours.Zip(s.NeighbourLogWeights).OrderByDescending(x => x.Item2).Select(x => $"{x.Item1}:{Math.Pow(2, x.Item2 - store.NeighbourReference):R}")
                : [];
            int i = store.IndexOf(id);
            var actual = i < 0 ? [] : store.NeighbourIndex[i].Select((m, j) => $"{store.Ids[m]}:{store.NeighbourWeights[i][j]:R}");
            Assert.Equal(expected, actual);
        }

        // Rolling every version back empties the lists; resuming rebuilds them exactly.
        Assert.True(store.Rollback(0));
        Assert.All(Enumerable.Range(0, store.Count), i => Assert.Empty(store.NeighbourIndex[i]));
        store.Resume();
        Assert.Equal(replica, Describe(store));
    }

    [Fact]
    public void Undoing_a_neighbour_change_restores_the_list_exactly_also_after_a_checkpoint()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, Links("a", ("b", 3), ("c", 2), ("d", 1))));
        store.AdvanceTo(100);
        string atV1 = Describe(store);

        store.Enqueue(Delta(200, 0, LinkChanges("a", ["d"], ("e", 2.5), ("c", 3.5))));
        store.AdvanceTo(200);
        string atV2 = Describe(store);
        int a = store.IndexOf("a");
        Assert.Equal(["c", "b", "e"], store.NeighbourIndex[a].Select(n => store.Ids[n]));

        store.Enqueue(Delta(300, 0, LinkChanges("a", [], ("b", 4), ("f", 0.5))));
        store.AdvanceTo(300);
        string atV3 = Describe(store);
        Assert.Equal(["b", "c", "e", "f"], store.NeighbourIndex[a].Select(n => store.Ids[n]));

        store = StateSerializer.Deserialize<ModelStore>(StateSerializer.Serialize(store));
        Assert.True(store.Rollback(2));
        Assert.Equal(atV2, Describe(store));
        Assert.True(store.Rollback(1));
        Assert.Equal(atV1, Describe(store));
        store.Resume();
        Assert.Equal(atV3, Describe(store));
    }
}
