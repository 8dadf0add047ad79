using System.Text;
using MessagePack;
using MessagePack.Resolvers;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Runtime.State;
using static RecoFlow.Tests.Recommendations.Scoring.Deltas;

namespace RecoFlow.Tests.Recommendations.Scoring;

/// <summary>
/// The checkpointed form of model versions (<see cref="KeyedOrNamedFormatter{T}"/>): arrays of keyed members, and the
/// maps of member names that earlier builds wrote still restore.
/// </summary>
public sealed class ModelVersionFormatTests
{
    /// <summary>Options that write every object as the map of its member names, as the state of earlier builds holds it.</summary>
    private static readonly MessagePackSerializerOptions Named = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(BuiltinResolver.Instance, DynamicGenericResolver.Instance, DynamicContractlessObjectResolverAllowPrivate.Instance))
        .WithSecurity(MessagePackSecurity.TrustedData);

    private static ModelStore StoreWithHistory()
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, Popularity("a", 3), Factors("a", 1, 2), Links("a", ("b", 1))));
        store.Enqueue(Delta(100, 1, Popularity("b", 2), Links("b", ("a", 1))));
        store.AdvanceTo(100);
        store.Enqueue(Delta(200, 0, Popularity("a", 4), LinkChanges("a", ["b"], ("c", 2))));
        store.Enqueue(Delta(300, 1, Popularity("c", 5), Factors("c", 1, 1)));
        store.AdvanceTo(200);
        return store; // versions 1 and 2 applied, the cut of 300 queued
    }

    [Fact]
    public void Versions_are_written_without_member_names_and_restore_exactly()
    {
        var store = StoreWithHistory();
        string atV2 = Describe(store);
        byte[] bytes = StateSerializer.Serialize(store);

        string text = Encoding.UTF8.GetString(bytes);
        foreach (string name in new[] { nameof(ItemEntry.NeighbourUpdateLogWeights), nameof(StoreVersion.Redo), nameof(UndoEntry.StepWeights), nameof(StoreVersion.ActivatedMs) })
            Assert.DoesNotContain(name, text, StringComparison.Ordinal);
        Assert.True(bytes.Length < MessagePackSerializer.Serialize(store, Named).Length);

        var restored = StateSerializer.Deserialize<ModelStore>(bytes);
        Assert.Equal(atV2, Describe(restored));
        Assert.Equal(1, restored.AdvanceTo(300));
        Assert.True(restored.Rollback(1));
        Assert.Equal(["active", "rolled-back", "rolled-back"], restored.Versions().Select(v => v.Status));
    }

    [Fact]
    public void A_store_written_with_member_names_restores_its_versions_undo_logs_and_queue()
    {
        var store = StoreWithHistory();
        string atV2 = Describe(store);
        byte[] named = MessagePackSerializer.Serialize(store, Named);
        Assert.Contains(nameof(ItemEntry.NeighbourUpdateLogWeights), Encoding.UTF8.GetString(named), StringComparison.Ordinal);

        var restored = StateSerializer.Deserialize<ModelStore>(named);
        Assert.Equal(atV2, Describe(restored));
        Assert.True(restored.Rollback(1));
        restored.Resume();
        Assert.Equal(atV2, Describe(restored));
        Assert.Equal(1, restored.AdvanceTo(300));
        Assert.Equal(3, restored.CurrentVersion);
        Assert.True(restored.Rollback(0));
        Assert.Equal("", Describe(restored));
    }

    [Fact]
    public void A_delta_written_by_a_type_without_keys_reads_as_a_model_delta()
    {
        var old = new NamedDelta
        {
            Version = 7, CutMs = 100, Subtask = 1, Kind = ModelDelta.RefitKind,
            Items = [new NamedEntry { ItemId = "a", Factors = [1, 2], LogPopularity = 3, NeighbourUpdates = ["b"], NeighbourUpdateLogWeights = [0.5] }],
        };

        var delta = StateSerializer.Deserialize<ModelDelta>(StateSerializer.Serialize(old));

        Assert.Equal((7L, 100L, 1, ModelDelta.RefitKind), (delta.Version, delta.CutMs, delta.Subtask, delta.Kind));
        var e = Assert.Single(delta.Items);
        Assert.Equal(("a", 3.0), (e.ItemId, e.LogPopularity!.Value));
        Assert.Equal([1f, 2f], e.Factors!);
        Assert.Equal(["b"], e.NeighbourUpdates!);
        Assert.Equal([0.5], e.NeighbourUpdateLogWeights!);
        Assert.Null(e.Neighbours);
    }

    /// <summary>The shape of <see cref="ModelDelta"/> before it had keys.</summary>
    public sealed class NamedDelta
    {
        public long Version { get; set; }
        public long CutMs { get; set; }
        public int Subtask { get; set; }
        public string Kind { get; set; } = "";
        public NamedEntry[] Items { get; set; } = [];
    }

    /// <summary>The shape of <see cref="ItemEntry"/> before it had keys.</summary>
    public sealed class NamedEntry
    {
        public string ItemId { get; set; } = "";
        public float[]? Factors { get; set; }
        public double? LogPopularity { get; set; }
        public double? LogRecentPopularity { get; set; }
        public string[]? Neighbours { get; set; }
        public double[]? NeighbourLogWeights { get; set; }
        public string[]? NeighbourUpdates { get; set; }
        public double[]? NeighbourUpdateLogWeights { get; set; }
        public string[]? NeighbourRemovals { get; set; }
    }
}
