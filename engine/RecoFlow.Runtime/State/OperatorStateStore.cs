using MessagePack;
using RecoFlow.Api.State;

namespace RecoFlow.Runtime.State;

/// <summary>Non-keyed state of one subtask: named lists (redistributed round-robin on rescale) and broadcast maps (copied to every subtask).</summary>
public sealed class OperatorStateStore : IOperatorStateStore
{
    private readonly Dictionary<string, IOperatorStateEntry> _states = new(StringComparer.Ordinal);
    private OperatorStateSnapshot? _restored;

    public IList<T> GetListState<T>(string name) => Get(name, () => new ListEntry<T>()).List;

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

    public OperatorStateSnapshot Snapshot()
    {
        var s = new OperatorStateSnapshot();
        foreach (var (name, e) in _states) s.States[name] = [e.Snapshot()];
        if (_restored is not null)
            foreach (var (name, parts) in _restored.States) s.States.TryAdd(name, parts);
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
}
