using System.Security.Cryptography;
using Akka.Configuration;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Tests.Checkpointing;

public sealed class SnapshotCipherTests
{
    private static readonly byte[] KeyA = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyB = RandomNumberGenerator.GetBytes(32);

    private static TaskStateSnapshot Sample() => new() { CheckpointId = 7, VertexUid = "secret-vertex-name", Subtask = 1, Parallelism = 2 };

    [Fact]
    public void An_encrypted_snapshot_round_trips_and_hides_its_content()
    {
        var cipher = new AesGcmSnapshotCipher(new Dictionary<string, byte[]> { ["a"] = KeyA }, "a");
        var bytes = Sample().ToBytes(cipher);
        Assert.Equal(-1, bytes.AsSpan().IndexOf("secret-vertex-name"u8));
        Assert.Equal("a", AesGcmSnapshotCipher.KeyIdOf(bytes));
        var back = TaskStateSnapshot.FromBytes(bytes, 7, "t", cipher);
        Assert.Equal("secret-vertex-name", back.VertexUid);
    }

    [Fact]
    public void After_rotation_old_snapshots_still_open_and_new_ones_use_the_new_key()
    {
        var before = new AesGcmSnapshotCipher(new Dictionary<string, byte[]> { ["a"] = KeyA }, "a");
        var old = Sample().ToBytes(before);
        var after = new AesGcmSnapshotCipher(new Dictionary<string, byte[]> { ["a"] = KeyA, ["b"] = KeyB }, "b");
        Assert.Equal("secret-vertex-name", TaskStateSnapshot.FromBytes(old, 7, "t", after).VertexUid);
        Assert.Equal("b", AesGcmSnapshotCipher.KeyIdOf(Sample().ToBytes(after)));
        // Plain snapshots written before encryption was turned on stay readable.
        Assert.Equal(7, TaskStateSnapshot.FromBytes(Sample().ToBytes(), 7, "t", after).CheckpointId);
    }

    [Fact]
    public void A_missing_key_or_a_tampered_snapshot_is_reported_as_corrupt()
    {
        var cipher = new AesGcmSnapshotCipher(new Dictionary<string, byte[]> { ["a"] = KeyA }, "a");
        var bytes = Sample().ToBytes(cipher);
        var other = new AesGcmSnapshotCipher(new Dictionary<string, byte[]> { ["b"] = KeyB }, "b");
        var e = Assert.Throws<CorruptSnapshotException>(() => TaskStateSnapshot.FromBytes(bytes, 7, "t", other));
        Assert.Contains("key id 'a'", e.Message, StringComparison.Ordinal);
        Assert.Throws<CorruptSnapshotException>(() => TaskStateSnapshot.FromBytes(bytes, 7, "t"));
        bytes[^1] ^= 1;
        Assert.Throws<CorruptSnapshotException>(() => TaskStateSnapshot.FromBytes(bytes, 7, "t", cipher));
    }

    [Fact]
    public void The_cipher_comes_from_configuration()
    {
        Assert.Same(PlainSnapshotCipher.Instance, AesGcmSnapshotCipher.FromConfig(ConfigurationFactory.Empty.WithFallback(RecoFlow.Runtime.Execution.RuntimeSettings.ReferenceConfig)));
        var config = ConfigurationFactory.ParseString($$"""
            recoflow.checkpoints.encryption { key-id = "2026-01", keys { "2026-01" = "{{Convert.ToBase64String(KeyA)}}" } }
            """);
        var cipher = Assert.IsType<AesGcmSnapshotCipher>(AesGcmSnapshotCipher.FromConfig(config));
        Assert.Equal("2026-01", cipher.CurrentKeyId);
    }
}
