using System.Security.Cryptography;
using CsCheck;
using MessagePack;
using RecoFlow.Api.Connectors;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// Property-based tests (CsCheck) of the snapshot decoder (<see cref="TaskStateSnapshot.FromBytes"/>): whatever the
/// stored bytes (random, truncated, altered, encrypted or not, well-formed MessagePack of the wrong shape), it returns
/// a snapshot or throws <see cref="CorruptSnapshotException"/>, nothing else.
/// </summary>
public sealed class SnapshotDecoderPropertyTests
{
    private static readonly AesGcmSnapshotCipher Cipher = new(new Dictionary<string, byte[]> { ["k1"] = RandomNumberGenerator.GetBytes(32) }, "k1");

    private static TaskStateSnapshot Sample()
    {
        var keyGroup = new KeyGroupSnapshot { KeyGroup = 3, States = new Dictionary<string, byte[]>(StringComparer.Ordinal) { ["count"] = [1, 2, 3], ["sum"] = [9] } }.Seal();
        return new TaskStateSnapshot
        {
            CheckpointId = 7,
            VertexUid = "window",
            Subtask = 1,
            Parallelism = 2,
            Splits = [new SourceSplit("events-0", 42, "events")],
            SplitWatermarks = new Dictionary<string, long> { ["events-0"] = 1000 },
            Operators = new Dictionary<string, OperatorSnapshot>(StringComparer.Ordinal)
            {
                ["window"] = new() { Keyed = new KeyedStateSnapshot { KeyGroups = [keyGroup] } },
                ["source"] = new() { Operator = new OperatorStateSnapshot { States = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal) { ["offsets"] = [[1], [2]] } } },
            },
        };
    }

    private static readonly byte[] Plain = Sample().ToBytes();
    private static readonly byte[] Sealed = Sample().ToBytes(Cipher);

    private static void DecodeOrCorrupt(byte[] bytes)
    {
        foreach (var cipher in new ISnapshotCipher?[] { null, Cipher })
        {
            try
            {
                var s = TaskStateSnapshot.FromBytes(bytes, 7, "job/window/1", cipher);
                Assert.NotNull(s.Operators);
            }
            catch (CorruptSnapshotException e)
            {
                Assert.StartsWith("checkpoint 7: ", e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void The_samples_decode()
    {
        Assert.Equal(42, TaskStateSnapshot.FromBytes(Plain, 7, "t").Splits![0].Position);
        Assert.Equal("window", TaskStateSnapshot.FromBytes(Sealed, 7, "t", Cipher).VertexUid);
    }

    [Fact]
    public void Random_bytes_are_a_snapshot_or_corrupt() => Gen.Byte.Array[0, 300].Sample(DecodeOrCorrupt, iter: 10_000);

    [Fact]
    public void Truncated_snapshots_are_corrupt() =>
        Gen.Select(Gen.Bool, Gen.Int[0, Math.Max(Plain.Length, Sealed.Length)]).Sample((encrypted, n) =>
        {
            var bytes = encrypted ? Sealed : Plain;
            DecodeOrCorrupt(bytes[..Math.Min(n, bytes.Length)]);
        }, iter: 3_000);

    [Fact]
    public void Altered_snapshots_are_a_snapshot_or_corrupt() =>
        Gen.Select(Gen.Bool, Gen.Int[0, 10_000].Array[1, 6], Gen.Byte.Array[6]).Sample((encrypted, positions, values) =>
        {
            var bytes = (byte[])(encrypted ? Sealed : Plain).Clone();
            for (var i = 0; i < positions.Length; i++) bytes[positions[i] % bytes.Length] = values[i];
            DecodeOrCorrupt(bytes);
        }, iter: 30_000);

    /// <summary>Well-formed MessagePack with nils where the format has values: a snapshot "of the wrong shape".</summary>
    [Fact]
    public void Nils_in_place_of_parts_are_corrupt()
    {
        var nilOperators = Sample();
        nilOperators.Operators = null!;
        var nilOperator = Sample();
        nilOperator.Operators["window"] = null!;
        var nilKeyGroups = Sample();
        nilKeyGroups.Operators["window"].Keyed!.KeyGroups = null!;
        var nilState = Sample();
        nilState.Operators["window"].Keyed!.KeyGroups[0].States["count"] = null!;
        var nilOperatorState = Sample();
        nilOperatorState.Operators["source"].Operator!.States["offsets"] = [null!];
        foreach (var s in new[] { nilOperators, nilOperator, nilKeyGroups, nilState, nilOperatorState })
        {
            var e = Assert.Throws<CorruptSnapshotException>(() => TaskStateSnapshot.FromBytes(MessagePackSerializer.Serialize(s, StateSerializer.Options), 7, "t"));
            Assert.Contains("malformed", e.Message, StringComparison.Ordinal);
        }
        DecodeOrCorrupt([0xC0]); // nil
        DecodeOrCorrupt(MessagePackSerializer.Serialize(new object[] { "not", 1, "snapshot" }, StateSerializer.Options));
    }
}
