using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Configuration;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Seals task snapshots before they are written (checkpoint store, savepoint files) and opens them when read back.
/// Applied around <see cref="TaskStateSnapshot.ToBytes"/> and <see cref="TaskStateSnapshot.FromBytes"/> only.
/// </summary>
public interface ISnapshotCipher
{
    byte[] Seal(byte[] plain);

    /// <summary>The plain bytes of <paramref name="stored"/>; bytes written without encryption pass through unchanged.</summary>
    byte[] Open(byte[] stored);
}

/// <summary>No encryption: writes plain bytes; reads plain bytes, and refuses encrypted ones (no key to open them).</summary>
public sealed class PlainSnapshotCipher : ISnapshotCipher
{
    public static PlainSnapshotCipher Instance { get; } = new();

    public byte[] Seal(byte[] plain) => plain;

    public byte[] Open(byte[] stored) => AesGcmSnapshotCipher.IsSealed(stored)
        ? throw new CryptographicException($"the snapshot is encrypted (key id '{AesGcmSnapshotCipher.KeyIdOf(stored)}') but recoflow.checkpoints.encryption has no keys")
        : stored;
}

/// <summary>
/// AES-256-GCM with a key ring. Layout: magic "RFE1", key id length (1 byte), key id (UTF-8), nonce (12), tag (16),
/// ciphertext. The key id is stored with each snapshot, so a rotation adds a new key, makes it current, and keeps the
/// old one until every retained checkpoint and savepoint written with it is gone.
/// </summary>
public sealed class AesGcmSnapshotCipher : ISnapshotCipher
{
    private static readonly byte[] Magic = "RFE1"u8.ToArray();
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly IReadOnlyDictionary<string, byte[]> _keys;
    private readonly string _current;
    private readonly byte[] _currentId;

    public AesGcmSnapshotCipher(IReadOnlyDictionary<string, byte[]> keys, string currentKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var (id, key) in keys)
        {
            if (key.Length != 32) throw new ArgumentException($"snapshot key '{id}' must be 32 bytes (base64 of 32 random bytes), not {key.Length}");
            if (Encoding.UTF8.GetByteCount(id) is 0 or > 255) throw new ArgumentException($"snapshot key id '{id}' must be 1..255 bytes of UTF-8");
        }
        if (!keys.ContainsKey(currentKeyId)) throw new ArgumentException($"current snapshot key '{currentKeyId}' is not among the keys");
        _keys = keys;
        _current = currentKeyId;
        _currentId = Encoding.UTF8.GetBytes(currentKeyId);
    }

    public string CurrentKeyId => _current;

    public byte[] Seal(byte[] plain)
    {
        ArgumentNullException.ThrowIfNull(plain);
        var header = Magic.Length + 1 + _currentId.Length;
        var output = new byte[header + NonceSize + TagSize + plain.Length];
        Magic.CopyTo(output, 0);
        output[Magic.Length] = (byte)_currentId.Length;
        _currentId.CopyTo(output, Magic.Length + 1);
        var nonce = output.AsSpan(header, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[_current], TagSize);
        // The header is authenticated too: a snapshot cannot be relabelled with another key id.
        aes.Encrypt(nonce, plain, output.AsSpan(header + NonceSize + TagSize), output.AsSpan(header + NonceSize, TagSize), output.AsSpan(0, header));
        return output;
    }

    public byte[] Open(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!IsSealed(stored)) return stored;
        var id = KeyIdOf(stored) ?? throw new CryptographicException("the encrypted snapshot is truncated (within its key id)");
        if (!_keys.TryGetValue(id, out var key)) throw new CryptographicException($"the snapshot was encrypted with key id '{id}', which is not configured");
        var header = Magic.Length + 1 + stored[Magic.Length];
        if (stored.Length < header + NonceSize + TagSize) throw new CryptographicException("the encrypted snapshot is truncated");
        var plain = new byte[stored.Length - header - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(stored.AsSpan(header, NonceSize), stored.AsSpan(header + NonceSize + TagSize), stored.AsSpan(header + NonceSize, TagSize), plain, stored.AsSpan(0, header));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CryptographicException($"key '{id}' does not open the snapshot: the configured key '{id}' is not the one it was written with, or the stored bytes were altered", e);
        }
        return plain;
    }

    /// <summary>True when the bytes start with the encryption header (a MessagePack snapshot never does: it starts with an array or map marker).</summary>
    public static bool IsSealed(ReadOnlySpan<byte> stored) => stored.Length > Magic.Length && stored[..Magic.Length].SequenceEqual(Magic);

    public static string? KeyIdOf(byte[] stored)
    {
        if (!IsSealed(stored)) return null;
        int n = stored[Magic.Length];
        return stored.Length < Magic.Length + 1 + n ? null : Encoding.UTF8.GetString(stored, Magic.Length + 1, n);
    }

    /// <summary>
    /// Reads <c>recoflow.checkpoints.encryption</c>: <c>key-id</c> names the current key; <c>keys</c> maps key ids to
    /// base64 keys. An empty key id means no encryption. <c>RECOFLOW_SNAPSHOT_KEY</c> (base64), when set, is the key of
    /// the current key id, so the secret need not be in a file.
    /// </summary>
    public static ISnapshotCipher FromConfig(Config config)
    {
        var c = config.GetConfig("recoflow.checkpoints.encryption");
        var current = c?.GetString("key-id", "") ?? "";
        if (current.Length == 0) return PlainSnapshotCipher.Instance;
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (c!.HasPath("keys"))
            foreach (var (id, value) in c.GetConfig("keys").AsEnumerable())
                keys[id.Trim('"')] = Decode(id, value.GetString());
        if (Environment.GetEnvironmentVariable("RECOFLOW_SNAPSHOT_KEY") is { Length: > 0 } env) keys[current] = Decode(current, env);
        return new AesGcmSnapshotCipher(keys, current);
    }

    private static byte[] Decode(string id, string base64)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"snapshot key '{id}' is not base64");
        }
    }
}

/// <summary>The actor system's snapshot cipher, built once from its configuration (an Akka extension, so no static state).</summary>
public sealed class SnapshotEncryption : ExtensionIdProvider<SnapshotEncryption.Extension>
{
    public static SnapshotEncryption Id { get; } = new();

    public static ISnapshotCipher For(ActorSystem system) => Id.Apply(system).Cipher;

    public override Extension CreateExtension(ExtendedActorSystem system) => new(AesGcmSnapshotCipher.FromConfig(system.Settings.Config));

    public sealed class Extension(ISnapshotCipher cipher) : IExtension
    {
        public ISnapshotCipher Cipher { get; } = cipher;
    }
}
