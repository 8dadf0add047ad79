using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Runtime.State;
using static RecoFlow.Tests.Recommendations.Scoring.Deltas;

namespace RecoFlow.Tests.Recommendations.Scoring;

/// <summary>
/// How <see cref="ModelStore"/> numbers versions: by cut (1, 2, 3, …), whatever the item-model subtasks number their
/// deltas; the deltas of one cut and kind from parallel subtasks form one version; a late delta joins its version.
/// </summary>
public sealed class ModelStoreVersionTests
{
    [Fact]
    public void Deltas_of_parallel_subtasks_with_one_cut_form_one_version_numbered_in_cut_order()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(200, 1, Popularity("c", 2)));
        store.Enqueue(Delta(100, 0, Popularity("a", 1)));
        store.Enqueue(Delta(100, 1, Popularity("b", 1)));
        store.Enqueue(Delta(200, 0, Popularity("d", 2)));
        store.Enqueue(Delta(300, 1, Popularity("e", 3)));

        var touched = new List<int>();
        Assert.Equal(1, store.AdvanceTo(150, touched));
        Assert.Equal(1, store.CurrentVersion);
        Assert.Equal(["a", "b"], touched.Select(i => store.Ids[i]));
        Assert.Equal(2, store.AdvanceTo(300));
        Assert.Equal(3, store.CurrentVersion);
        Assert.Equal(3, store.LastVersion);

        var versions = store.Versions();
        Assert.Equal([1L, 2, 3], versions.Select(v => v.Version));
        Assert.Equal([100L, 200, 300], versions.Select(v => v.CutMs));
        Assert.Equal([2, 2, 1], versions.Select(v => v.Items));
        Assert.Equal([false, false, true], versions.Select(v => v.Current));
        Assert.Empty(store.Pending);
    }

    [Fact]
    public void The_versions_since_a_number_are_those_the_full_listing_gives_for_it_without_the_queued_ones()
    {
        var store = new ModelStore { VersionsKept = 3 };
        for (int v = 1; v <= 5; v++) store.Enqueue(Delta(100 * v, 0, Popularity($"i{v}", v)));
        store.AdvanceTo(350);
        Assert.True(store.Rollback(2));
        store.Resume();
        store.AdvanceTo(450);
        static string Describe(ModelVersionInfo v) => $"{v.Version}:{v.Status}:{v.Items}:{v.Lists}:{v.ActivatedMs}";
        foreach (long since in new long[] { 0, 2, 3, 4, 9 })
            Assert.Equal(store.Versions().Where(v => v.Version >= since && !v.Queued).Select(Describe), store.VersionsSince(since).Select(Describe));
        Assert.Contains(store.Versions(), v => v.Queued);
    }

    [Fact]
    public void A_late_delta_joins_its_version_when_kept_and_the_newest_one_otherwise()
    {
        var store = new ModelStore { VersionsKept = 2 };
        store.Enqueue(Delta(100, 0, Popularity("a", 1)));
        store.Enqueue(Delta(200, 0, Popularity("b", 2)));
        store.AdvanceTo(250);
        Assert.Equal(2, store.CurrentVersion);

        // Subtask 1's part of the cut 100 arrives after both versions were applied: applied at once, into version 1.
        store.Enqueue(Delta(100, 1, Popularity("c", 1)));
        var touched = new List<int>();
        Assert.Equal(0, store.AdvanceTo(260, touched));
        Assert.Equal(["c"], touched.Select(i => store.Ids[i]));
        Assert.Equal([2, 1], store.Versions().Select(v => v.Items));
        Assert.Equal(2, store.CurrentVersion);

        // Rolling back to version 1 keeps the late part (it belongs to version 1); rolling back to 0 undoes it.
        Assert.True(store.Rollback(1));
        Assert.True(store.PopularityOf(store.IndexOf("c")) > 0);
        Assert.Equal(0, store.PopularityOf(store.IndexOf("b")));
        store.Resume();

        // Two more versions push version 1 out; a late part of cut 100 then joins the newest version (4).
        store.Enqueue(Delta(300, 0, Popularity("d", 3)));
        store.Enqueue(Delta(400, 0, Popularity("e", 4)));
        store.AdvanceTo(400);
        Assert.Equal([3L, 4], store.Versions().Select(v => v.Version));
        store.Enqueue(Delta(100, 2, Popularity("f", 1)));
        Assert.Equal(0, store.AdvanceTo(401));
        Assert.Equal([1, 2], store.Versions().Select(v => v.Items));
        Assert.Equal(4, store.LastVersion);
    }

    [Fact]
    public void Online_and_refit_deltas_of_one_cut_are_two_versions_in_any_arrival_order()
    {
        // Subtask 0 publishes only a refit at the cut (no online change); subtask 1 an online delta, then its refit.
        ModelDelta on1 = Delta(100, 1, Popularity("b", 1)), rf0 = Refit(100, 0, Factors("a", 1, 0)), rf1 = Refit(100, 1, Factors("b", 0, 1));
        ModelDelta[][] orders = [[on1, rf0, rf1], [rf0, on1, rf1], [on1, rf1, rf0]];
        var results = new List<string>();
        foreach (var order in orders)
        {
            var store = new ModelStore();
            store.Enqueue(Delta(50, 0, Popularity("a", 1)));
            foreach (var d in order) store.Enqueue(d);
            store.AdvanceTo(100);
            var versions = store.Versions();
            results.Add(string.Join(";", versions.Select(v => $"{v.Version}:{v.Kind}:{v.Items}")) + "\n" + Describe(store));
        }
        Assert.Equal("1:online:1;2:online:1;3:refit:2", results[0].Split('\n')[0]);
        Assert.All(results, r => Assert.Equal(results[0], r));

        // A late online part of a cut whose refit was applied joins the online version of that cut.
        var late = new ModelStore();
        late.Enqueue(Delta(100, 0, Popularity("a", 1)));
        late.Enqueue(Refit(100, 0, Factors("a", 1, 0)));
        late.AdvanceTo(100);
        late.Enqueue(Delta(100, 1, Popularity("b", 1)));
        Assert.Equal(0, late.AdvanceTo(101));
        Assert.Equal(["1:online:2", "2:refit:1"], late.Versions().Select(v => $"{v.Version}:{v.Kind}:{v.Items}"));
    }

    [Fact]
    public void The_deltas_of_one_cut_give_their_items_the_same_store_indices_in_any_arrival_order()
    {
        // Subtasks 0 and 1 publish a part of the cuts 100 and 200 each; the scoring tasks receive them interleaved as
        // the network delivers them. The store applies each cut's parts in subtask order, so every order gives one store.
        ModelDelta a = Delta(100, 0, Popularity("a", 1), Factors("a", 1, 0)), b = Delta(100, 1, Popularity("b", 2), Factors("b", 0, 1));
        ModelDelta c = Delta(200, 1, Popularity("c", 3)), d = Delta(200, 0, Popularity("d", 4), Links("d", ("b", 1)));
        ModelDelta[][] orders = [[a, b, c, d], [b, a, d, c], [c, b, d, a], [d, c, b, a]];
        var stores = orders.Select(order =>
        {
            var store = new ModelStore();
            foreach (var delta in order) store.Enqueue(delta);
            store.AdvanceTo(200);
            return string.Join(",", store.Ids) + "\n" + Describe(store);
        }).ToList();
        Assert.Equal("a,b,d,c", stores[0].Split('\n')[0]);
        Assert.All(stores, s => Assert.Equal(stores[0], s));
    }

    [Fact]
    public void Queued_deltas_are_reported_with_the_numbers_they_get_when_applied()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, Popularity("a", 1)));
        store.AdvanceTo(100);
        ModelDelta[] queued = [Delta(300, 1, Popularity("d", 1)), Refit(200, 0, Factors("a", 1)), Delta(200, 1, Popularity("c", 1)), Delta(200, 0, Popularity("b", 1)), Delta(100, 1, Popularity("e", 1))];
        foreach (var d in queued) store.Enqueue(d);

        // In cut order (online before refit): the late part of cut 100 joins version 1; cut 200's two online parts are one.
        var pending = store.Versions().Where(v => v.Queued).ToList();
        Assert.Equal(["1:100:online", "2:200:online", "2:200:online", "3:200:refit", "4:300:online"], pending.Select(v => $"{v.Version}:{v.CutMs}:{v.Kind}"));
        Assert.Equal(3, store.QueuedVersion(queued[1]).Version);
        Assert.Equal(4, store.QueuedVersion(queued[0]).Version);

        store.AdvanceTo(300);
        Assert.Equal(["1:100:online:2", "2:200:online:2", "3:200:refit:1", "4:300:online:1"], store.Versions().Select(v => $"{v.Version}:{v.CutMs}:{v.Kind}:{v.Items}"));
    }

    [Fact]
    public void Rollback_and_resume_are_exact_across_merged_versions_and_a_checkpoint()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, Popularity("a", 3), Factors("a", 1, 2), Links("a", ("b", 1))));
        store.Enqueue(Delta(100, 1, Popularity("b", 2), Links("b", ("a", 1))));
        store.AdvanceTo(100);
        string atV1 = Describe(store);

        store.Enqueue(Delta(200, 0, Popularity("a", 4), Factors("a", 3, 4), Links("a", ("b", 2), ("c", 1))));
        store.Enqueue(Delta(200, 1, Popularity("c", 5), Factors("c", 1, 1)));
        store.Enqueue(Delta(300, 1, Popularity("b", 6), Links("b", ("c", 3))));
        store.AdvanceTo(300);
        string atV3 = Describe(store);
        Assert.Equal(3, store.CurrentVersion);

        // A checkpoint between the versions and the rollback: the undo logs survive it.
        store = StateSerializer.Deserialize<ModelStore>(StateSerializer.Serialize(store));
        Assert.True(store.Rollback(1));
        Assert.Equal(atV1, Describe(store));
        Assert.Equal(1, store.CurrentVersion);
        Assert.Equal(["active", "rolled-back", "rolled-back"], store.Versions().Select(v => v.Status));

        // Held at version 1: a new version queues until resumed.
        store.Enqueue(Delta(400, 0, Popularity("d", 7)));
        Assert.Equal(0, store.AdvanceTo(500));
        Assert.Equal(atV1, Describe(store));

        store = StateSerializer.Deserialize<ModelStore>(StateSerializer.Serialize(store));
        store.Resume();
        Assert.Equal(atV3, Describe(store));
        Assert.Equal(3, store.CurrentVersion);
        Assert.Equal(1, store.AdvanceTo(500));
        Assert.Equal(4, store.CurrentVersion);

        Assert.True(store.Rollback(0));
        Assert.Equal("", Describe(store));
        Assert.False(store.Rollback(99));
    }
}
