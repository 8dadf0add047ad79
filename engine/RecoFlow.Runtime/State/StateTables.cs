using System.Runtime.InteropServices;
using RecoFlow.Api.State;

namespace RecoFlow.Runtime.State;

/// <summary>A value with the processing time it was last written (or read, for update-on-read TTL).</summary>
[MessagePack.MessagePackObject]
public struct Stamped<T>
{
    [MessagePack.Key(0)] public T Value;
    [MessagePack.Key(1)] public long Stamp;
}

/// <summary>Dictionary-backed table shared by the per-kind states; handles TTL, snapshots and the tracking of changed keys.</summary>
internal abstract class TableBase<TKey, TStored>(KeyedStateBackend<TKey> backend, StateTtl? ttl, IEntryMap<TKey, Stamped<TStored>> map) : IStateTable<TKey> where TKey : notnull
{
    protected readonly IEntryMap<TKey, Stamped<TStored>> Map = map;
    private readonly ChangedKeys<TKey> _changed = new();
    protected KeyedStateBackend<TKey> Backend => backend;

    public int Count => Map.Count;
    public long? TtlMillis => ttl?.TtlMillis;
    public IEnumerable<TKey> Keys() => Map.Keys();

    public void RemoveKey(TKey key)
    {
        if (Map.Remove(key)) _changed.Touch(key, Map.Count);
    }

    /// <summary>The current key's value was changed in place (a list or map state's collection).</summary>
    protected void TouchCurrent()
    {
        Map.Touch(backend.CurrentKey);
        _changed.Touch(backend.CurrentKey, Map.Count);
    }

    private bool Expired(in Stamped<TStored> e, long now) => ttl is not null && now - e.Stamp >= ttl.TtlMillis;

    /// <summary>The current key's live value, or false (expired entries are removed on the way).</summary>
    protected bool TryGetCurrent(out TStored value)
    {
        if (!Map.TryGetValue(backend.CurrentKey, out var e)) { value = default!; return false; }
        if (ttl is not null)
        {
            var now = backend.Now;
            if (Expired(e, now)) { Map.Remove(backend.CurrentKey); TouchCurrent(); value = default!; return false; }
            if (ttl.UpdateOnRead && e.Stamp != now) { e.Stamp = now; Map.Set(backend.CurrentKey, e); TouchCurrent(); }
        }
        value = e.Value;
        return true;
    }

    protected void SetCurrent(TStored value)
    {
        Map.Set(backend.CurrentKey, new Stamped<TStored> { Value = value, Stamp = ttl is null ? 0 : backend.Now });
        TouchCurrent();
    }

    public void Clear()
    {
        if (Map.Remove(backend.CurrentKey)) TouchCurrent();
    }

    public IEnumerable<(int KeyGroup, byte[] Bytes)> Snapshot(Func<TKey, int> keyGroupOf)
    {
        var now = backend.Now;
        var byGroup = new Dictionary<int, List<KeyValuePair<TKey, Stamped<TStored>>>>();
        foreach (var kv in Map.Entries())
        {
            if (Expired(kv.Value, now)) continue;
            var kg = keyGroupOf(kv.Key);
            if (!byGroup.TryGetValue(kg, out var list)) byGroup[kg] = list = [];
            list.Add(kv);
        }
        foreach (var (kg, list) in byGroup) yield return (kg, StateSerializer.Serialize(list));
    }

    public void Restore(byte[] bytes)
    {
        foreach (var kv in StateSerializer.Deserialize<List<KeyValuePair<TKey, Stamped<TStored>>>>(bytes)) Map.Set(kv.Key, kv.Value);
    }

    public bool CanSnapshotChanges => !_changed.Overflowed;

    public IEnumerable<(int KeyGroup, byte[]? Upserts, byte[]? Deletions)> SnapshotChanges(Func<TKey, int> keyGroupOf)
    {
        var now = backend.Now;
        var byGroup = new Dictionary<int, (List<KeyValuePair<TKey, Stamped<TStored>>>? Upserts, List<TKey>? Deleted)>();
        foreach (var key in _changed.Keys)
        {
            var kg = keyGroupOf(key);
            byGroup.TryGetValue(kg, out var g);
            if (Map.TryGetValue(key, out var e) && !Expired(e, now)) (g.Upserts ??= []).Add(new(key, e));
            else (g.Deleted ??= []).Add(key);
            byGroup[kg] = g;
        }
        foreach (var (kg, g) in byGroup)
            yield return (kg, g.Upserts is null ? null : StateSerializer.Serialize(g.Upserts), g.Deleted is null ? null : StateSerializer.Serialize(g.Deleted));
    }

    public void ApplyDeletions(byte[] bytes)
    {
        foreach (var key in StateSerializer.Deserialize<List<TKey>>(bytes)) Map.Remove(key);
    }

    public void ResetChanges() => _changed.Reset();
}

internal sealed class ValueTable<TKey, T>(KeyedStateBackend<TKey> backend, StateTtl? ttl, IEntryMap<TKey, Stamped<T>> map) : TableBase<TKey, T>(backend, ttl, map), IValueState<T> where TKey : notnull
{
    public T? Value => TryGetCurrent(out var v) ? v : default;
    public bool HasValue => TryGetCurrent(out _);
    public void Update(T value) => SetCurrent(value);
    public bool TryGet(out T value) => TryGetCurrent(out value);
}

internal sealed class ListTable<TKey, T>(KeyedStateBackend<TKey> backend, StateTtl? ttl, IEntryMap<TKey, Stamped<List<T>>> map) : TableBase<TKey, List<T>>(backend, ttl, map), IListState<T> where TKey : notnull
{
    public IReadOnlyList<T> Get() => TryGetCurrent(out var l) ? l : [];

    public void Add(T value)
    {
        if (TryGetCurrent(out var l)) { l.Add(value); SetCurrent(l); }
        else SetCurrent([value]);
    }

    public void AddAll(IEnumerable<T> values)
    {
        if (TryGetCurrent(out var l)) { l.AddRange(values); SetCurrent(l); }
        else SetCurrent([.. values]);
    }

    public void Update(IEnumerable<T> values) => SetCurrent([.. values]);
}

internal sealed class MapTable<TKey, TK, TV>(KeyedStateBackend<TKey> backend, StateTtl? ttl, IEntryMap<TKey, Stamped<Dictionary<TK, TV>>> map) : TableBase<TKey, Dictionary<TK, TV>>(backend, ttl, map), IMapState<TK, TV>
    where TKey : notnull where TK : notnull
{
    private Dictionary<TK, TV> Writable()
    {
        if (!TryGetCurrent(out var m)) m = new Dictionary<TK, TV>();
        SetCurrent(m);
        return m;
    }

    public bool TryGetValue(TK key, out TV value)
    {
        if (TryGetCurrent(out var m) && m.TryGetValue(key, out value!)) return true;
        value = default!;
        return false;
    }

    public void Put(TK key, TV value) => Writable()[key] = value;

    public bool Remove(TK key)
    {
        if (!TryGetCurrent(out var m) || !m.Remove(key)) return false;
        if (m.Count == 0) Clear();
        else TouchCurrent();
        return true;
    }

    public bool Contains(TK key) => TryGetCurrent(out var m) && m.ContainsKey(key);
    public new int Count => TryGetCurrent(out var m) ? m.Count : 0;
    public IEnumerable<KeyValuePair<TK, TV>> Entries() => TryGetCurrent(out var m) ? m.ToArray() : [];
}

internal sealed class ReducingState<TKey, T>(ValueTable<TKey, T> table, Func<T, T, T> reduce) : IReducingState<T> where TKey : notnull
{
    public T? Get() => table.Value;
    public void Add(T value) => table.Update(table.TryGet(out var current) ? reduce(current, value) : value);
    public void Clear() => table.Clear();
}

internal sealed class AggregatingState<TKey, TIn, TAcc, TOut>(ValueTable<TKey, TAcc> table, Api.Functions.IAggregateFunction<TIn, TAcc, TOut> function)
    : IAggregatingState<TIn, TOut> where TKey : notnull
{
    public TOut? Get() => table.TryGet(out var acc) ? function.GetResult(acc) : default;
    public void Add(TIn value) => table.Update(function.Add(value, table.TryGet(out var acc) ? acc : function.CreateAccumulator()));
    public void Clear() => table.Clear();
}

/// <summary>Values by (key, namespace), stored as a dictionary per key so a key's namespaces can be listed.</summary>
internal sealed class NamespacedTable<TKey, TNamespace, TValue>(KeyedStateBackend<TKey> backend, IEntryMap<TKey, Dictionary<TNamespace, TValue>> map) : IStateTable<TKey>, INamespacedState<TKey, TNamespace, TValue>
    where TKey : notnull where TNamespace : notnull
{
    private readonly IEntryMap<TKey, Dictionary<TNamespace, TValue>> _map = map;
    private readonly ChangedKeys<TKey> _changed = new();

    public int Count => _map.Count;
    public long? TtlMillis => null;
    public IEnumerable<TKey> Keys() => _map.Keys();

    public void RemoveKey(TKey key)
    {
        if (_map.Remove(key)) _changed.Touch(key, _map.Count);
    }

    private void TouchCurrent()
    {
        _map.Touch(backend.CurrentKey);
        _changed.Touch(backend.CurrentKey, _map.Count);
    }

    public bool TryGet(TNamespace ns, out TValue value)
    {
        if (_map.TryGetValue(backend.CurrentKey, out var inner) && inner.TryGetValue(ns, out value!)) return true;
        value = default!;
        return false;
    }

    public void Set(TNamespace ns, TValue value)
    {
        ref var inner = ref _map.GetValueRefOrAddDefault(backend.CurrentKey, out _);
        inner ??= new Dictionary<TNamespace, TValue>();
        inner[ns] = value;
        TouchCurrent();
    }

    public void Remove(TNamespace ns)
    {
        if (!_map.TryGetValue(backend.CurrentKey, out var inner) || !inner.Remove(ns)) return;
        if (inner.Count == 0) _map.Remove(backend.CurrentKey);
        TouchCurrent();
    }

    public ref TValue? GetOrAddRef(TNamespace ns, out bool exists)
    {
        ref var inner = ref _map.GetValueRefOrAddDefault(backend.CurrentKey, out _);
        inner ??= new Dictionary<TNamespace, TValue>();
        // The caller writes through the reference: the key counts as changed.
        TouchCurrent();
        return ref CollectionsMarshal.GetValueRefOrAddDefault(inner, ns, out exists);
    }

    public IEnumerable<TNamespace> Namespaces() =>
        _map.TryGetValue(backend.CurrentKey, out var inner) ? inner.Keys.ToArray() : [];

    public IEnumerable<(int KeyGroup, byte[] Bytes)> Snapshot(Func<TKey, int> keyGroupOf)
    {
        var byGroup = new Dictionary<int, List<KeyValuePair<TKey, Dictionary<TNamespace, TValue>>>>();
        foreach (var kv in _map.Entries())
        {
            var kg = keyGroupOf(kv.Key);
            if (!byGroup.TryGetValue(kg, out var list)) byGroup[kg] = list = [];
            list.Add(kv);
        }
        foreach (var (kg, list) in byGroup) yield return (kg, StateSerializer.Serialize(list));
    }

    public void Restore(byte[] bytes)
    {
        foreach (var kv in StateSerializer.Deserialize<List<KeyValuePair<TKey, Dictionary<TNamespace, TValue>>>>(bytes)) _map.Set(kv.Key, kv.Value);
    }

    public bool CanSnapshotChanges => !_changed.Overflowed;

    public IEnumerable<(int KeyGroup, byte[]? Upserts, byte[]? Deletions)> SnapshotChanges(Func<TKey, int> keyGroupOf)
    {
        var byGroup = new Dictionary<int, (List<KeyValuePair<TKey, Dictionary<TNamespace, TValue>>>? Upserts, List<TKey>? Deleted)>();
        foreach (var key in _changed.Keys)
        {
            var kg = keyGroupOf(key);
            byGroup.TryGetValue(kg, out var g);
            if (_map.TryGetValue(key, out var inner)) (g.Upserts ??= []).Add(new(key, inner));
            else (g.Deleted ??= []).Add(key);
            byGroup[kg] = g;
        }
        foreach (var (kg, g) in byGroup)
            yield return (kg, g.Upserts is null ? null : StateSerializer.Serialize(g.Upserts), g.Deleted is null ? null : StateSerializer.Serialize(g.Deleted));
    }

    public void ApplyDeletions(byte[] bytes)
    {
        foreach (var key in StateSerializer.Deserialize<List<TKey>>(bytes)) _map.Remove(key);
    }

    public void ResetChanges() => _changed.Reset();
}
