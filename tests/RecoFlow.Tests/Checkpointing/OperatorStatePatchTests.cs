using RecoFlow.Api.State;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// Operator state in incremental checkpoints: content-defined chunks (<see cref="ContentChunks"/>), patches of the
/// previous snapshot (<see cref="BytePatch"/>), and a chain of rows rebuilt into whole states (<see cref="IncrementalChain"/>).
/// </summary>
public sealed class OperatorStatePatchTests
{
    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void A_patch_of_a_few_edits_carries_the_edits_and_rebuilds_the_bytes_exactly()
    {
        var old = RandomBytes(1 << 20, 1);
        var next = new List<byte>(old);
        next.InsertRange(300_000, RandomBytes(100, 2));          // an insertion shifts everything after it
        next.RemoveRange(700_000, 5_000);                         // a deletion
        for (int i = 0; i < 3; i++) next[100_000 + i * 250_000] ^= 0xFF; // three changed bytes
        var bytes = next.ToArray();

        var patch = BytePatch.Create(ContentChunks.Index(old), bytes);
        Assert.Equal(bytes, patch.Apply(old));
        // Each edit costs the chunks around it (a few KiB), not the megabyte.
        Assert.True(patch.SizeBytes < 64 * 1024, $"patch of {patch.SizeBytes} bytes");

        var unrelated = BytePatch.Create(ContentChunks.Index(old), RandomBytes(1 << 20, 3));
        Assert.True(unrelated.SizeBytes >= 1 << 20, "bytes with nothing in common are carried whole");
    }

    [Fact]
    public void A_patch_refuses_another_base_and_a_tampered_patch()
    {
        var old = RandomBytes(200_000, 4);
        var next = (byte[])old.Clone();
        next[150_000] ^= 1;
        var patch = BytePatch.Create(ContentChunks.Index(old), next);
        var other = (byte[])old.Clone();
        other[10] ^= 1;
        Assert.Throws<InvalidDataException>(() => patch.Apply(other));
        Assert.Throws<InvalidDataException>(() => patch.Apply(old.AsSpan(1)));
        patch.Literals[0] ^= 1;
        Assert.Throws<InvalidDataException>(() => patch.Apply(old));
    }

    [Fact]
    public void Chunk_boundaries_depend_on_content_only()
    {
        var bytes = RandomBytes(300_000, 5);
        var shifted = RandomBytes(777, 6).Concat(bytes).ToArray();
        var a = ContentChunks.Index(bytes);
        var b = ContentChunks.Index(shifted);
        Assert.InRange(a.Count, 300_000 / ContentChunks.MaxSize, 300_000 / ContentChunks.MinSize);
        // All but the chunks around the shifted start are found again.
        int offset = 0, found = 0, chunks = 0;
        while (offset < bytes.Length)
        {
            int length = ContentChunks.NextLength(bytes.AsSpan(offset));
            if (b.Find(bytes.AsSpan(offset, length)) >= 0) found++;
            chunks++;
            offset += length;
        }
        Assert.True(found >= chunks - 2, $"{found} of {chunks} chunks found after a shift");
    }

    private static readonly MapStateDescriptor<string, int[]> Model = new("model");

    [Fact]
    public void Incremental_snapshots_patch_a_large_broadcast_state_and_a_chain_rebuilds_it_whole()
    {
        var store = new OperatorStateStore();
        var map = store.GetBroadcastState(Model);
        map["weights"] = Enumerable.Range(0, 200_000).ToArray();
        map["small"] = [1, 2, 3];
        var list = store.GetListState<int>("offsets");
        list.Add(7);

        var full = store.Snapshot(incremental: true); // nothing earlier to patch: whole
        Assert.False(full.HasPatches);
        long fullSize = full.SizeBytes;

        map["weights"][1_000] = -1;
        map["weights"][150_000] = -2;
        var first = store.Snapshot(incremental: true);
        Assert.True(first.HasPatches);
        Assert.True(first.SizeBytes * 20 < fullSize, $"{first.SizeBytes} of {fullSize} bytes");

        map["weights"] = [.. map["weights"], 42];
        map["small"] = [4];
        list.Add(8);
        var second = store.Snapshot(incremental: true);
        Assert.True(second.HasPatches);
        var whole = store.Snapshot(incremental: false);
        Assert.False(whole.HasPatches);

        var chain = new[] { full, first, second }.Select(RoundTrip).Select(o => new OperatorSnapshot { Operator = o }).ToList();
        var rebuilt = IncrementalChain.Flatten(chain).Operator!;
        Assert.Null(rebuilt.Patches);
        Assert.Equal(whole.States.Keys.Order(), rebuilt.States.Keys.Order());
        foreach (var (name, parts) in whole.States) Assert.Equal(parts, rebuilt.States[name]);

        var restored = new OperatorStateStore();
        restored.Restore(rebuilt);
        var again = restored.GetBroadcastState(Model);
        Assert.Equal(-1, again["weights"][1_000]);
        Assert.Equal(42, again["weights"][^1]);
        Assert.Equal([4], again["small"]);
        Assert.Equal([7, 8], restored.GetListState<int>("offsets"));
    }

    [Fact]
    public void A_patch_without_its_base_row_is_refused()
    {
        var store = new OperatorStateStore();
        store.GetBroadcastState(Model)["weights"] = Enumerable.Range(0, 100_000).ToArray();
        store.Snapshot(incremental: true);
        store.GetBroadcastState(Model)["weights"][5] = 0;
        var patched = store.Snapshot(incremental: true);
        Assert.True(patched.HasPatches);
        Assert.Throws<InvalidDataException>(() => IncrementalChain.Flatten([new OperatorSnapshot { Operator = patched }]));
    }

    private static OperatorStateSnapshot RoundTrip(OperatorStateSnapshot s) =>
        MessagePack.MessagePackSerializer.Deserialize<OperatorStateSnapshot>(MessagePack.MessagePackSerializer.Serialize(s, StateSerializer.Options), StateSerializer.Options);
}
