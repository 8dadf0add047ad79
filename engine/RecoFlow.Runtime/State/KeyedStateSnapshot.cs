using MessagePack;

namespace RecoFlow.Runtime.State;

/// <summary>
/// The keyed state of one key group: per named state, its entries serialised with MessagePack. Key groups are the unit
/// of snapshots, so a snapshot can be restored into any parallelism.
/// </summary>
[MessagePackObject]
public sealed class KeyGroupSnapshot
{
    /// <summary>
    /// Format version of this contract; readers accept this version and older ones.
    /// v1: version, key group, states. v2 adds a checksum per state, checked on restore.
    /// </summary>
    public const int CurrentVersion = 2;

    [Key(0)] public int Version { get; set; } = CurrentVersion;
    [Key(1)] public int KeyGroup { get; set; }
    [Key(2)] public Dictionary<string, byte[]> States { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Murmur3 of each state's bytes (v2); null in v1 snapshots, which are then read unchecked.</summary>
    [Key(3)] public Dictionary<string, int>? Checksums { get; set; }

    /// <summary>Computes the checksums of the states (before the snapshot is written).</summary>
    public KeyGroupSnapshot Seal()
    {
        Checksums = new Dictionary<string, int>(States.Count, StringComparer.Ordinal);
        foreach (var (name, bytes) in States) Checksums[name] = KeyGroups.MurmurHash3.Hash(bytes);
        return this;
    }

    /// <summary>The name of the first state whose bytes do not match their checksum, or null when all match.</summary>
    public string? Verify()
    {
        if (Checksums is null) return null;
        foreach (var (name, bytes) in States)
            if (!Checksums.TryGetValue(name, out var sum) || sum != KeyGroups.MurmurHash3.Hash(bytes)) return name;
        return null;
    }
}

/// <summary>The keyed state of one operator subtask: one entry per non-empty key group.</summary>
[MessagePackObject]
public sealed class KeyedStateSnapshot
{
    [Key(0)] public List<KeyGroupSnapshot> KeyGroups { get; set; } = [];

    [IgnoreMember] public long SizeBytes => KeyGroups.Sum(k => (long)k.States.Values.Sum(v => v.Length));
}
