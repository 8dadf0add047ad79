using System.Runtime.InteropServices;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Runtime.KeyGroups;

namespace RecoFlow.Runtime.State;

/// <summary>
/// Keyed state on the heap for one subtask (Flink: HeapKeyedStateBackend). Every state is a dictionary keyed by the
/// record key; snapshots group entries by key group. Only the task thread touches it.
/// </summary>
public sealed class HeapKeyedStateBackend<TKey> : IKeyedStateBackend<TKey>, IKeyedStateBackendInternal where TKey : notnull
{
    private readonly Dictionary<string, IStateTable<TKey>> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ITimerTable<TKey>> _timers = new(StringComparer.Ordinal);
    private readonly IProcessingTimeService _processingTime;
    private readonly int _maxParallelism;
    private TKey _currentKey = default!;
    private int _currentKeyGroup = -1;
    private long _watermark = Api.Time.Watermark.NoTimestamp;
    private Dictionary<int, KeyGroupSnapshot>? _pendingRestore;

    public HeapKeyedStateBackend(KeyGroupRange keyGroups, int maxParallelism, IProcessingTimeService processingTime)
    {
        KeyGroups = keyGroups;
        _maxParallelism = maxParallelism;
        _processingTime = processingTime;
    }

    public KeyGroupRange KeyGroups { get; }
    public Type KeyType => typeof(TKey);
    internal long Now => _processingTime.CurrentProcessingTime;
    public long CurrentWatermark => _watermark;

    public TKey CurrentKey
    {
        get => _currentKey;
        set { _currentKey = value; _currentKeyGroup = -1; }
    }

    public int CurrentKeyGroup => _currentKeyGroup >= 0 ? _currentKeyGroup : _currentKeyGroup = KeyGroupAssignment.KeyGroupOf(_currentKey, _maxParallelism);

    private TTable Table<TTable>(string name, Func<TTable> create) where TTable : class, IStateTable<TKey>
    {
        if (_tables.TryGetValue(name, out var existing))
            return existing as TTable ?? throw new InvalidOperationException($"state '{name}' is already registered with another kind or type ({existing.GetType().Name})");
        var table = create();
        _tables[name] = table;
        if (_pendingRestore is not null)
            foreach (var kg in _pendingRestore.Values)
                if (kg.States.TryGetValue(name, out var bytes)) table.Restore(bytes);
        return table;
    }

    public IValueState<T> GetValueState<T>(ValueStateDescriptor<T> d) => Table(d.Name, () => new ValueTable<TKey, T>(this, d.Ttl));
    public IListState<T> GetListState<T>(ListStateDescriptor<T> d) => Table(d.Name, () => new ListTable<TKey, T>(this, d.Ttl));
    public IMapState<TK, TV> GetMapState<TK, TV>(MapStateDescriptor<TK, TV> d) where TK : notnull => Table(d.Name, () => new MapTable<TKey, TK, TV>(this, d.Ttl));
    public IReducingState<T> GetReducingState<T>(ReducingStateDescriptor<T> d) => new ReducingState<TKey, T>(Table(d.Name, () => new ValueTable<TKey, T>(this, d.Ttl)), d.Reduce);

    public IAggregatingState<TIn, TOut> GetAggregatingState<TIn, TAcc, TOut>(AggregatingStateDescriptor<TIn, TAcc, TOut> d) =>
        new AggregatingState<TKey, TIn, TAcc, TOut>(Table(d.Name, () => new ValueTable<TKey, TAcc>(this, d.Ttl)), d.Function);

    public INamespacedState<TKey, TNamespace, TValue> GetNamespacedState<TNamespace, TValue>(string name) where TNamespace : notnull =>
        Table(name, () => new NamespacedTable<TKey, TNamespace, TValue>(this));

    public ITimerService<TKey, TNamespace> GetTimerService<TNamespace>(string name, ITimerCallback<TKey, TNamespace> callback) where TNamespace : notnull
    {
        if (_timers.TryGetValue(name, out var existing))
            return existing as TimerTable<TKey, TNamespace> ?? throw new InvalidOperationException($"timer service '{name}' exists with another namespace type");
        var t = new TimerTable<TKey, TNamespace>(this, callback, _processingTime);
        _timers[name] = t;
        if (_pendingRestore is not null)
            foreach (var kg in _pendingRestore.Values)
                if (kg.States.TryGetValue("timers/" + name, out var bytes)) t.Restore(bytes);
        return t;
    }

    public IEnumerable<TKey> Keys(string stateName) =>
        _tables.TryGetValue(stateName, out var t) ? t.Keys() : [];

    public void ClearKey(TKey key)
    {
        foreach (var t in _tables.Values) t.RemoveKey(key);
        foreach (var t in _timers.Values) t.RemoveKey(key);
    }

    public void AdvanceWatermark(long watermark)
    {
        if (watermark <= _watermark) return;
        _watermark = watermark;
        foreach (var t in _timers.Values) t.AdvanceWatermark(watermark);
    }

    /// <summary>Number of keys with state, summed over states (for metrics).</summary>
    public long EntryCount => _tables.Values.Sum(t => (long)t.Count);

    public KeyedStateSnapshot Snapshot()
    {
        var groups = new Dictionary<int, KeyGroupSnapshot>();
        KeyGroupSnapshot Group(int kg)
        {
            if (!groups.TryGetValue(kg, out var g)) groups[kg] = g = new KeyGroupSnapshot { KeyGroup = kg };
            return g;
        }
        foreach (var (name, table) in _tables)
            foreach (var (kg, bytes) in table.Snapshot(k => KeyGroupAssignment.KeyGroupOf(k, _maxParallelism)))
                Group(kg).States[name] = bytes;
        foreach (var (name, timers) in _timers)
            foreach (var (kg, bytes) in timers.Snapshot(k => KeyGroupAssignment.KeyGroupOf(k, _maxParallelism)))
                Group(kg).States["timers/" + name] = bytes;
        // Key groups restored but not yet claimed by a state registration stay in the snapshot.
        if (_pendingRestore is not null)
            foreach (var (kg, snap) in _pendingRestore)
                foreach (var (name, bytes) in snap.States)
                    if (!_tables.ContainsKey(name) && !(name.StartsWith("timers/", StringComparison.Ordinal) && _timers.ContainsKey(name[7..])))
                        Group(kg).States.TryAdd(name, bytes);
        return new KeyedStateSnapshot { KeyGroups = groups.Values.OrderBy(g => g.KeyGroup).Select(g => g.Seal()).ToList() };
    }

    /// <summary>
    /// Restores the key groups of this subtask from snapshots (possibly taken at another parallelism). States are
    /// materialised when the operator registers them.
    /// </summary>
    public void Restore(IEnumerable<KeyGroupSnapshot> keyGroups)
    {
        _pendingRestore = new Dictionary<int, KeyGroupSnapshot>();
        foreach (var kg in keyGroups)
        {
            if (kg.Version > KeyGroupSnapshot.CurrentVersion)
                throw new InvalidOperationException($"key group {kg.KeyGroup} was written by a newer state format (v{kg.Version}); this engine reads up to v{KeyGroupSnapshot.CurrentVersion}");
            if (KeyGroups.Contains(kg.KeyGroup)) _pendingRestore[kg.KeyGroup] = kg;
        }
    }

    void IKeyedStateBackendInternal.FireProcessingTimers(long now)
    {
        foreach (var t in _timers.Values) t.FireProcessingTimers(now);
    }
}

/// <summary>Untyped view of a keyed backend for the runtime.</summary>
public interface IKeyedStateBackendInternal
{
    KeyGroupRange KeyGroups { get; }
    Type KeyType { get; }
    long EntryCount { get; }
    KeyedStateSnapshot Snapshot();
    void Restore(IEnumerable<KeyGroupSnapshot> keyGroups);
    void FireProcessingTimers(long now);
}

internal interface IStateTable<TKey> where TKey : notnull
{
    int Count { get; }
    IEnumerable<TKey> Keys();
    void RemoveKey(TKey key);
    IEnumerable<(int KeyGroup, byte[] Bytes)> Snapshot(Func<TKey, int> keyGroupOf);
    void Restore(byte[] bytes);
}

/// <summary>A value with the processing time it was last written (or read, for update-on-read TTL).</summary>
[MessagePack.MessagePackObject]
public struct Stamped<T>
{
    [MessagePack.Key(0)] public T Value;
    [MessagePack.Key(1)] public long Stamp;
}

/// <summary>Dictionary-backed table shared by the per-kind states; handles TTL and snapshots.</summary>
internal abstract class TableBase<TKey, TStored>(HeapKeyedStateBackend<TKey> backend, StateTtl? ttl) : IStateTable<TKey> where TKey : notnull
{
    protected readonly Dictionary<TKey, Stamped<TStored>> Map = new();
    protected HeapKeyedStateBackend<TKey> Backend => backend;

    public int Count => Map.Count;
    public IEnumerable<TKey> Keys() => Map.Keys.ToArray();
    public void RemoveKey(TKey key) => Map.Remove(key);

    private bool Expired(in Stamped<TStored> e, long now) => ttl is not null && now - e.Stamp >= ttl.TtlMillis;

    /// <summary>The current key's live value, or false (expired entries are removed on the way).</summary>
    protected bool TryGetCurrent(out TStored value)
    {
        ref var e = ref CollectionsMarshal.GetValueRefOrNullRef(Map, backend.CurrentKey);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref e)) { value = default!; return false; }
        if (ttl is not null)
        {
            var now = backend.Now;
            if (Expired(e, now)) { Map.Remove(backend.CurrentKey); value = default!; return false; }
            if (ttl.UpdateOnRead) e.Stamp = now;
        }
        value = e.Value;
        return true;
    }

    protected void SetCurrent(TStored value) =>
        Map[backend.CurrentKey] = new Stamped<TStored> { Value = value, Stamp = ttl is null ? 0 : backend.Now };

    public void Clear() => Map.Remove(backend.CurrentKey);

    public IEnumerable<(int KeyGroup, byte[] Bytes)> Snapshot(Func<TKey, int> keyGroupOf)
    {
        var now = backend.Now;
        var byGroup = new Dictionary<int, List<KeyValuePair<TKey, Stamped<TStored>>>>();
        foreach (var kv in Map)
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
        foreach (var kv in StateSerializer.Deserialize<List<KeyValuePair<TKey, Stamped<TStored>>>>(bytes)) Map[kv.Key] = kv.Value;
    }
}

internal sealed class ValueTable<TKey, T>(HeapKeyedStateBackend<TKey> backend, StateTtl? ttl) : TableBase<TKey, T>(backend, ttl), IValueState<T> where TKey : notnull
{
    public T? Value => TryGetCurrent(out var v) ? v : default;
    public bool HasValue => TryGetCurrent(out _);
    public void Update(T value) => SetCurrent(value);
    public bool TryGet(out T value) => TryGetCurrent(out value);
}

internal sealed class ListTable<TKey, T>(HeapKeyedStateBackend<TKey> backend, StateTtl? ttl) : TableBase<TKey, List<T>>(backend, ttl), IListState<T> where TKey : notnull
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

internal sealed class MapTable<TKey, TK, TV>(HeapKeyedStateBackend<TKey> backend, StateTtl? ttl) : TableBase<TKey, Dictionary<TK, TV>>(backend, ttl), IMapState<TK, TV>
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
internal sealed class NamespacedTable<TKey, TNamespace, TValue>(HeapKeyedStateBackend<TKey> backend) : IStateTable<TKey>, INamespacedState<TKey, TNamespace, TValue>
    where TKey : notnull where TNamespace : notnull
{
    private readonly Dictionary<TKey, Dictionary<TNamespace, TValue>> _map = new();

    public int Count => _map.Count;
    public IEnumerable<TKey> Keys() => _map.Keys.ToArray();
    public void RemoveKey(TKey key) => _map.Remove(key);

    public bool TryGet(TNamespace ns, out TValue value)
    {
        if (_map.TryGetValue(backend.CurrentKey, out var inner) && inner.TryGetValue(ns, out value!)) return true;
        value = default!;
        return false;
    }

    public void Set(TNamespace ns, TValue value)
    {
        ref var inner = ref CollectionsMarshal.GetValueRefOrAddDefault(_map, backend.CurrentKey, out _);
        inner ??= new Dictionary<TNamespace, TValue>();
        inner[ns] = value;
    }

    public void Remove(TNamespace ns)
    {
        if (_map.TryGetValue(backend.CurrentKey, out var inner) && inner.Remove(ns) && inner.Count == 0) _map.Remove(backend.CurrentKey);
    }

    public ref TValue? GetOrAddRef(TNamespace ns, out bool exists)
    {
        ref var inner = ref CollectionsMarshal.GetValueRefOrAddDefault(_map, backend.CurrentKey, out _);
        inner ??= new Dictionary<TNamespace, TValue>();
        return ref CollectionsMarshal.GetValueRefOrAddDefault(inner, ns, out exists);
    }

    public IEnumerable<TNamespace> Namespaces() =>
        _map.TryGetValue(backend.CurrentKey, out var inner) ? inner.Keys.ToArray() : [];

    public IEnumerable<(int KeyGroup, byte[] Bytes)> Snapshot(Func<TKey, int> keyGroupOf)
    {
        var byGroup = new Dictionary<int, List<KeyValuePair<TKey, Dictionary<TNamespace, TValue>>>>();
        foreach (var kv in _map)
        {
            var kg = keyGroupOf(kv.Key);
            if (!byGroup.TryGetValue(kg, out var list)) byGroup[kg] = list = [];
            list.Add(kv);
        }
        foreach (var (kg, list) in byGroup) yield return (kg, StateSerializer.Serialize(list));
    }

    public void Restore(byte[] bytes)
    {
        foreach (var kv in StateSerializer.Deserialize<List<KeyValuePair<TKey, Dictionary<TNamespace, TValue>>>>(bytes)) _map[kv.Key] = kv.Value;
    }
}
