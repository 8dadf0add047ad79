using System.Runtime.InteropServices;

namespace RecoFlow.Runtime.State;

/// <summary>
/// Where one keyed state keeps its entries (one value per record key): a dictionary on the heap, or rows of an
/// embedded RocksDB. The tables over it (<see cref="TableBase{TKey, TStored}"/>, <see cref="NamespacedTable{TKey, TNamespace, TValue}"/>)
/// handle TTL, change tracking and the snapshot format; a value may be a mutable collection that a table changes in
/// place, after which it calls <see cref="Touch"/>.
/// </summary>
internal interface IEntryMap<TKey, TValue> where TKey : notnull
{
    int Count { get; }
    bool TryGetValue(TKey key, out TValue value);
    void Set(TKey key, TValue value);
    bool Remove(TKey key);

    /// <summary>A reference to the key's value for writing through, added with default when absent.</summary>
    ref TValue? GetValueRefOrAddDefault(TKey key, out bool exists);

    /// <summary>The key's value (an object obtained from this map) was changed in place.</summary>
    void Touch(TKey key);

    /// <summary>A copy of the keys.</summary>
    IEnumerable<TKey> Keys();

    /// <summary>Every entry, for a full snapshot; the map must not change while this is enumerated.</summary>
    IEnumerable<KeyValuePair<TKey, TValue>> Entries();
}

/// <summary>The heap backend's entries: a dictionary, values held as they are.</summary>
internal sealed class HeapEntryMap<TKey, TValue> : IEntryMap<TKey, TValue> where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _map = new();

    public int Count => _map.Count;
    public bool TryGetValue(TKey key, out TValue value) => _map.TryGetValue(key, out value!);
    public void Set(TKey key, TValue value) => _map[key] = value;
    public bool Remove(TKey key) => _map.Remove(key);
    public ref TValue? GetValueRefOrAddDefault(TKey key, out bool exists) => ref CollectionsMarshal.GetValueRefOrAddDefault(_map, key, out exists);
    public void Touch(TKey key) { }
    public IEnumerable<TKey> Keys() => _map.Keys.ToArray();
    public IEnumerable<KeyValuePair<TKey, TValue>> Entries() => _map;
}
