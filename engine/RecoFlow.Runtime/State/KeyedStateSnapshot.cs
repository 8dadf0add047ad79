using MessagePack;

namespace RecoFlow.Runtime.State;

/// <summary>
/// The keyed state of one key group: per named state, its entries serialised with MessagePack. Key groups are the unit
/// of snapshots, so a snapshot can be restored into any parallelism. A full key group holds every entry; a delta
/// (<see cref="IsDelta"/>, written by incremental checkpoints) holds the entries written since the previous snapshot
/// and the keys removed since then, and is applied on top of the key group's earlier snapshots.
/// </summary>
[MessagePackObject]
public sealed class KeyGroupSnapshot
{
    /// <summary>
    /// Format version of this contract; readers accept this version and older ones.
    /// v1: version, key group, states. v2 adds a checksum per state, checked on restore. v3 adds deltas (changed
    /// entries and removed keys).
    /// </summary>
    public const int CurrentVersion = 3;

    /// <summary>Prefix of the checksum entries of <see cref="Deletions"/>.</summary>
    private const string DeletionsChecksum = "deleted/";

    [Key(0)] public int Version { get; set; } = CurrentVersion;
    [Key(1)] public int KeyGroup { get; set; }

    /// <summary>Per state: its entries (all of them, or in a delta those written since the previous snapshot).</summary>
    [Key(2)] public Dictionary<string, byte[]> States { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Murmur3 of each state's bytes (v2); null in v1 snapshots, which are then read unchecked.</summary>
    [Key(3)] public Dictionary<string, int>? Checksums { get; set; }

    /// <summary>True when this is a delta over the key group's earlier snapshots (v3).</summary>
    [Key(4)] public bool IsDelta { get; set; }

    /// <summary>In a delta, per state: the keys removed since the previous snapshot (a serialised key list), or null.</summary>
    [Key(5)] public Dictionary<string, byte[]>? Deletions { get; set; }

    /// <summary>Computes the checksums of the states (before the snapshot is written).</summary>
    public KeyGroupSnapshot Seal()
    {
        Checksums = new Dictionary<string, int>(States.Count, StringComparer.Ordinal);
        foreach (var (name, bytes) in States) Checksums[name] = KeyGroups.MurmurHash3.Hash(bytes);
        if (Deletions is not null)
            foreach (var (name, bytes) in Deletions) Checksums[DeletionsChecksum + name] = KeyGroups.MurmurHash3.Hash(bytes);
        return this;
    }

    /// <summary>The name of the first state whose bytes do not match their checksum, or null when all match.</summary>
    public string? Verify()
    {
        if (Checksums is null) return null;
        foreach (var (name, bytes) in States)
            if (!Checksums.TryGetValue(name, out var sum) || sum != KeyGroups.MurmurHash3.Hash(bytes)) return name;
        if (Deletions is not null)
            foreach (var (name, bytes) in Deletions)
                if (!Checksums.TryGetValue(DeletionsChecksum + name, out var sum) || sum != KeyGroups.MurmurHash3.Hash(bytes)) return DeletionsChecksum + name;
        return null;
    }

    [IgnoreMember] public long SizeBytes => States.Values.Sum(v => (long)v.Length) + (Deletions?.Values.Sum(v => (long)v.Length) ?? 0);
}

/// <summary>
/// The keyed state of one operator subtask: one entry per non-empty key group, or, after an incremental chain was
/// read back, the key groups of every snapshot of the chain in order (a full one, then deltas), applied in that order.
/// </summary>
[MessagePackObject]
public sealed class KeyedStateSnapshot
{
    [Key(0)] public List<KeyGroupSnapshot> KeyGroups { get; set; } = [];

    /// <summary>
    /// True when this snapshot holds only the changes since the previous snapshot of the same subtask (incremental
    /// checkpoints): restore applies it on top of that one. False: the snapshot holds the whole state.
    /// </summary>
    [Key(1)] public bool IsIncremental { get; set; }

    [IgnoreMember] public long SizeBytes => KeyGroups.Sum(k => k.SizeBytes);

    /// <summary>When the snapshot was taken and the time-to-live of its states (in memory only; not stored), for <see cref="KeyedStateCompaction"/>.</summary>
    [IgnoreMember] public StateExpiry? Expiry { get; set; }

    /// <summary>True when some key group is a delta (the snapshot needs its chain's earlier snapshots).</summary>
    [IgnoreMember] public bool HasDeltas => KeyGroups.Any(k => k.IsDelta);
}
