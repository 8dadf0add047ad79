using MessagePack;
using RecoFlow.Api.State;

namespace RecoFlow.Runtime.State;

/// <summary>
/// Non-keyed state of one subtask: named lists (redistributed round-robin on rescale) and broadcast maps (copied to
/// every subtask). An incremental snapshot writes a large state (<see cref="PatchFrom"/> bytes or more) as a
/// <see cref="BytePatch"/> of its previous snapshot when that is less than half its size: a broadcast model replica
/// that a few versions changed costs the chunks they changed (<see cref="ContentChunks"/>).
/// </summary>
public sealed class OperatorStateStore : IOperatorStateStore
{
    /// <summary>States smaller than this are always written whole.</summary>
    public const int PatchFrom = 64 * 1024;

    private readonly Dictionary<string, IOperatorStateEntry> _states = new(StringComparer.Ordinal);
    /// <summary>The bytes of each large state in the previous snapshot: what the next incremental one patches.</summary>
    private readonly Dictionary<string, byte[]> _previous = new(StringComparer.Ordinal);
    private OperatorStateSnapshot? _restored;

    public IList<T> GetListState<T>(string name) => Get(name, () => new ListEntry<T>()).List;

    /// <summary>Stored as <c>union/NAME</c>: the restore planner gives such lists to every subtask on rescale.</summary>
    public IList<T> GetUnionListState<T>(string name) => Get(UnionPrefix + name, () => new ListEntry<T>()).List;

    /// <summary>The prefix of union list state names (the restore planner hands them to every subtask on rescale).</summary>
    public const string UnionPrefix = "union/";

    // Broadcast state is looked up per record: by descriptor first, so the lookup builds no name.
    private readonly Dictionary<object, object> _broadcastByDescriptor = new(ReferenceEqualityComparer.Instance);

    public IDictionary<TKey, TValue> GetBroadcastState<TKey, TValue>(MapStateDescriptor<TKey, TValue> descriptor) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (_broadcastByDescriptor.TryGetValue(descriptor, out var map)) return (IDictionary<TKey, TValue>)map;
        var result = Get("broadcast/" + descriptor.Name, () => new MapEntry<TKey, TValue>()).Map;
        _broadcastByDescriptor[descriptor] = result;
        return result;
    }

    private TEntry Get<TEntry>(string name, Func<TEntry> create) where TEntry : class, IOperatorStateEntry
    {
        if (_states.TryGetValue(name, out var e)) return e as TEntry ?? throw new InvalidOperationException($"operator state '{name}' exists with another type");
        var entry = create();
        if (_restored is not null && _restored.States.TryGetValue(name, out var parts))
            foreach (var p in parts) entry.Restore(p);
        _states[name] = entry;
        return entry;
    }

    public OperatorStateSnapshot Snapshot() => Snapshot(incremental: false);

    /// <summary>
    /// Every state, whole, or with <paramref name="incremental"/> the large ones as patches of the previous snapshot
    /// (<see cref="OperatorStateSnapshot.Patches"/>), which a restore applies to that snapshot's bytes.
    /// </summary>
    public OperatorStateSnapshot Snapshot(bool incremental)
    {
        var s = new OperatorStateSnapshot();
        foreach (var (name, e) in _states)
        {
            var bytes = e.Snapshot();
            if (bytes.Length < PatchFrom)
            {
                _previous.Remove(name);
                s.States[name] = [bytes];
                continue;
            }
            if (incremental && _previous.TryGetValue(name, out var old) && BytePatch.Create(ContentChunks.Index(old), bytes) is { } patch && patch.SizeBytes < bytes.Length / 2)
                (s.Patches ??= new(StringComparer.Ordinal))[name] = patch;
            else s.States[name] = [bytes];
            _previous[name] = bytes;
        }
        if (_restored is not null)
            foreach (var (name, parts) in _restored.States)
                if (s.Patches?.ContainsKey(name) != true) s.States.TryAdd(name, parts);
        return s;
    }

    public void Restore(OperatorStateSnapshot snapshot) => _restored = snapshot;

    private interface IOperatorStateEntry
    {
        byte[] Snapshot();
        void Restore(byte[] bytes);
    }

    private sealed class ListEntry<T> : IOperatorStateEntry
    {
        public List<T> List { get; } = [];
        public byte[] Snapshot() => StateSerializer.Serialize(List);
        public void Restore(byte[] bytes) => List.AddRange(StateSerializer.Deserialize<List<T>>(bytes));
    }

    private sealed class MapEntry<TKey, TValue> : IOperatorStateEntry where TKey : notnull
    {
        public Dictionary<TKey, TValue> Map { get; } = new();
        public byte[] Snapshot() => StateSerializer.Serialize(Map);
        public void Restore(byte[] bytes)
        {
            foreach (var kv in StateSerializer.Deserialize<Dictionary<TKey, TValue>>(bytes)) Map[kv.Key] = kv.Value;
        }
    }
}

/// <summary>Operator state of a subtask: for each name, one or more serialised parts (several after a merge from other subtasks).</summary>
[MessagePackObject]
public sealed class OperatorStateSnapshot
{
    [Key(0)] public Dictionary<string, List<byte[]>> States { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// In an incremental checkpoint's row: states written as patches of the same states in the task's previous row
    /// (one part each there); null otherwise. A restore reads the chain and applies them (<see cref="Checkpointing.IncrementalChain"/>).
    /// </summary>
    [Key(1)] public Dictionary<string, BytePatch>? Patches { get; set; }

    /// <summary>True when some state is a patch (the row needs the earlier rows of its chain).</summary>
    [IgnoreMember] public bool HasPatches => Patches is { Count: > 0 };

    /// <summary>Bytes of the states and patches.</summary>
    [IgnoreMember] public long SizeBytes => States.Values.Sum(parts => parts.Sum(p => (long)p.Length)) + (Patches?.Values.Sum(p => p.SizeBytes) ?? 0);
}
