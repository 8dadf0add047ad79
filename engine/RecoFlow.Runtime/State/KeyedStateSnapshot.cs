using MessagePack;

namespace RecoFlow.Runtime.State;

/// <summary>
/// The keyed state of one key group: per named state, its entries serialised with MessagePack. Key groups are the unit
/// of snapshots, so a snapshot can be restored into any parallelism.
/// </summary>
[MessagePackObject]
public sealed class KeyGroupSnapshot
{
    /// <summary>Format version of this contract; readers accept this version and older ones.</summary>
    public const int CurrentVersion = 1;

    [Key(0)] public int Version { get; set; } = CurrentVersion;
    [Key(1)] public int KeyGroup { get; set; }
    [Key(2)] public Dictionary<string, byte[]> States { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The keyed state of one operator subtask: one entry per non-empty key group.</summary>
[MessagePackObject]
public sealed class KeyedStateSnapshot
{
    [Key(0)] public List<KeyGroupSnapshot> KeyGroups { get; set; } = [];

    [IgnoreMember] public long SizeBytes => KeyGroups.Sum(k => (long)k.States.Values.Sum(v => v.Length));
}
