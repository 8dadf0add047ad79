using System.Runtime.InteropServices;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Runtime.KeyGroups;

namespace RecoFlow.Runtime.State;

/// <summary>
/// Keyed state of one subtask: the states and timers an operator registers, their snapshots by key group and their
/// restore. Where a state's entries live is the subclass's choice (<see cref="HeapKeyedStateBackend{TKey}"/>: a
/// dictionary; <see cref="RocksDbKeyedStateBackend{TKey}"/>: an embedded RocksDB); both write the same
/// <see cref="KeyedStateSnapshot"/> format. Only the task thread touches it.
/// Each state also tracks the keys written or removed since the last snapshot (timers: the timers added and removed),
/// so an incremental snapshot copies only those (<see cref="Snapshot(bool)"/>); the synchronous part of a checkpoint
/// then grows with the changes, not with the state.
/// </summary>
public abstract class KeyedStateBackend<TKey> : IKeyedStateBackend<TKey>, IKeyedStateBackendInternal where TKey : notnull
{
    private readonly Dictionary<string, IStateTable<TKey>> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ITimerTable<TKey>> _timers = new(StringComparer.Ordinal);
    private readonly IProcessingTimeService _processingTime;
    private readonly int _maxParallelism;
    private TKey _currentKey = default!;
    private int _currentKeyGroup = -1;
    private long _watermark = Api.Time.Watermark.NoTimestamp;
    private Dictionary<int, List<KeyGroupSnapshot>>? _pendingRestore;

    private protected KeyedStateBackend(KeyGroupRange keyGroups, int maxParallelism, IProcessingTimeService processingTime)
    {
        KeyGroups = keyGroups;
        _maxParallelism = maxParallelism;
        _processingTime = processingTime;
    }

    public KeyGroupRange KeyGroups { get; }
    internal int MaxParallelism => _maxParallelism;

    /// <summary>The storage of one state's entries by key (<paramref name="stateName"/> names it, for diagnostics).</summary>
    internal abstract IEntryMap<TKey, TValue> CreateMap<TValue>(string stateName);

    /// <summary>Releases the backend's working storage (nothing for the heap; the RocksDB instance and its directory).</summary>
    public virtual void Dispose() { }
    public Type KeyType => typeof(TKey);
    internal long Now => _processingTime.CurrentProcessingTime;
    public long CurrentWatermark => _watermark;

    public TKey CurrentKey
    {
        get => _currentKey;
        set { _currentKey = value; _currentKeyGroup = -1; }
    }

    public int CurrentKeyGroup => _currentKeyGroup >= 0 ? _currentKeyGroup : _currentKeyGroup = KeyGroupAssignment.KeyGroupOf(_currentKey, _maxParallelism);

    public bool OwnsKey(TKey key) => KeyGroups.Contains(KeyGroupAssignment.KeyGroupOf(key, _maxParallelism));

    private TTable Table<TTable>(string name, Func<TTable> create) where TTable : class, IStateTable<TKey>
    {
        if (_tables.TryGetValue(name, out var existing))
            return existing as TTable ?? throw new InvalidOperationException($"state '{name}' is already registered with another kind or type ({existing.GetType().Name})");
        var table = create();
        _tables[name] = table;
        RestorePending(table, name);
        return table;
    }

    public IValueState<T> GetValueState<T>(ValueStateDescriptor<T> d) => Table(d.Name, () => new ValueTable<TKey, T>(this, d.Ttl, CreateMap<Stamped<T>>(d.Name)));
    public IListState<T> GetListState<T>(ListStateDescriptor<T> d) => Table(d.Name, () => new ListTable<TKey, T>(this, d.Ttl, CreateMap<Stamped<List<T>>>(d.Name)));
    public IMapState<TK, TV> GetMapState<TK, TV>(MapStateDescriptor<TK, TV> d) where TK : notnull => Table(d.Name, () => new MapTable<TKey, TK, TV>(this, d.Ttl, CreateMap<Stamped<Dictionary<TK, TV>>>(d.Name)));
    public IReducingState<T> GetReducingState<T>(ReducingStateDescriptor<T> d) => new ReducingState<TKey, T>(Table(d.Name, () => new ValueTable<TKey, T>(this, d.Ttl, CreateMap<Stamped<T>>(d.Name))), d.Reduce);

    public IAggregatingState<TIn, TOut> GetAggregatingState<TIn, TAcc, TOut>(AggregatingStateDescriptor<TIn, TAcc, TOut> d) =>
        new AggregatingState<TKey, TIn, TAcc, TOut>(Table(d.Name, () => new ValueTable<TKey, TAcc>(this, d.Ttl, CreateMap<Stamped<TAcc>>(d.Name))), d.Function);

    public INamespacedState<TKey, TNamespace, TValue> GetNamespacedState<TNamespace, TValue>(string name) where TNamespace : notnull =>
        Table(name, () => new NamespacedTable<TKey, TNamespace, TValue>(this, CreateMap<Dictionary<TNamespace, TValue>>(name)));

    public ITimerService<TKey, TNamespace> GetTimerService<TNamespace>(string name, ITimerCallback<TKey, TNamespace> callback) where TNamespace : notnull
    {
        if (_timers.TryGetValue(name, out var existing))
            return existing as TimerTable<TKey, TNamespace> ?? throw new InvalidOperationException($"timer service '{name}' exists with another namespace type");
        var t = new TimerTable<TKey, TNamespace>(this, callback, _processingTime);
        _timers[name] = t;
        RestorePending(t, TimerPrefix + name);
        return t;
    }

    private const string TimerPrefix = KeyedStateCompaction.TimerPrefix;

    /// <summary>Applies the restored key groups' entries and deletions of <paramref name="stateName"/> to a table just registered, in chain order.</summary>
    private void RestorePending(IKeyGroupedTable<TKey> table, string stateName)
    {
        if (_pendingRestore is null) return;
        foreach (var chain in _pendingRestore.Values)
            foreach (var kg in chain)
            {
                if (kg.States.TryGetValue(stateName, out var bytes)) table.Restore(bytes);
                if (kg.Deletions is not null && kg.Deletions.TryGetValue(stateName, out var deleted)) table.ApplyDeletions(deleted);
            }
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

    public KeyedStateSnapshot Snapshot() => Snapshot(incremental: false);

    /// <summary>
    /// The keyed state for a checkpoint. Full: every entry of every key group. Incremental: per key group, the entries
    /// written and the keys removed since the previous snapshot (of either kind), which restore applies on top of that
    /// snapshot's state; it falls back to a full snapshot when a state changed more keys than it holds (the result's
    /// <see cref="KeyedStateSnapshot.IsIncremental"/> says which it is). Either way the changes tracked so far are reset.
    /// </summary>
    public KeyedStateSnapshot Snapshot(bool incremental)
    {
        var delta = incremental && _tables.Values.All(t => t.CanSnapshotChanges) && _timers.Values.All(t => t.CanSnapshotChanges);
        var result = delta ? SnapshotChanges() : SnapshotFull();
        var ttls = _tables.Where(t => t.Value.TtlMillis is not null).ToDictionary(t => t.Key, t => t.Value.TtlMillis!.Value, StringComparer.Ordinal);
        result.Expiry = new StateExpiry(Now, ttls);
        foreach (var t in _tables.Values) t.ResetChanges();
        foreach (var t in _timers.Values) t.ResetChanges();
        return result;
    }

    private int KeyGroupOf(TKey key) => KeyGroupAssignment.KeyGroupOf(key, _maxParallelism);

    private KeyedStateSnapshot SnapshotFull()
    {
        var groups = new Dictionary<int, KeyGroupSnapshot>();
        KeyGroupSnapshot Group(int kg)
        {
            if (!groups.TryGetValue(kg, out var g)) groups[kg] = g = new KeyGroupSnapshot { KeyGroup = kg };
            return g;
        }
        foreach (var (name, table) in _tables)
            foreach (var (kg, bytes) in table.Snapshot(KeyGroupOf))
                Group(kg).States[name] = bytes;
        foreach (var (name, timers) in _timers)
            foreach (var (kg, bytes) in timers.Snapshot(KeyGroupOf))
                Group(kg).States[TimerPrefix + name] = bytes;
        var result = groups.Values.OrderBy(g => g.KeyGroup).Select(g => g.Seal()).ToList();
        // Key groups restored but not yet claimed by a state registration stay in the snapshot, in the order restored.
        if (_pendingRestore is not null)
            foreach (var (kg, chain) in _pendingRestore.OrderBy(p => p.Key))
                foreach (var snap in chain)
                {
                    var carried = new KeyGroupSnapshot { KeyGroup = kg, IsDelta = snap.IsDelta };
                    foreach (var (name, bytes) in snap.States)
                        if (Unclaimed(name)) carried.States[name] = bytes;
                    if (snap.Deletions is not null)
                        foreach (var (name, bytes) in snap.Deletions)
                            if (Unclaimed(name)) (carried.Deletions ??= new(StringComparer.Ordinal))[name] = bytes;
                    if (carried.States.Count > 0 || carried.Deletions is not null) result.Add(carried.Seal());
                }
        return new KeyedStateSnapshot { KeyGroups = result };
    }

    private bool Unclaimed(string name) =>
        !_tables.ContainsKey(name) && !(name.StartsWith(TimerPrefix, StringComparison.Ordinal) && _timers.ContainsKey(name[TimerPrefix.Length..]));

    private KeyedStateSnapshot SnapshotChanges()
    {
        var groups = new Dictionary<int, KeyGroupSnapshot>();
        KeyGroupSnapshot Group(int kg)
        {
            if (!groups.TryGetValue(kg, out var g)) groups[kg] = g = new KeyGroupSnapshot { KeyGroup = kg, IsDelta = true };
            return g;
        }
        void Add(string name, IEnumerable<(int KeyGroup, byte[]? Upserts, byte[]? Deletions)> changes)
        {
            foreach (var (kg, upserts, deletions) in changes)
            {
                var g = Group(kg);
                if (upserts is not null) g.States[name] = upserts;
                if (deletions is not null) (g.Deletions ??= new(StringComparer.Ordinal))[name] = deletions;
            }
        }
        foreach (var (name, table) in _tables) Add(name, table.SnapshotChanges(KeyGroupOf));
        foreach (var (name, timers) in _timers) Add(TimerPrefix + name, timers.SnapshotChanges(KeyGroupOf));
        return new KeyedStateSnapshot { IsIncremental = true, KeyGroups = groups.Values.OrderBy(g => g.KeyGroup).Select(g => g.Seal()).ToList() };
    }

    /// <summary>
    /// Restores the key groups of this subtask from snapshots (possibly taken at another parallelism). States are
    /// materialised when the operator registers them.
    /// </summary>
    /// <remarks>A key group may appear several times (a full snapshot, then deltas of an incremental chain); its
    /// snapshots are applied in the order given.</remarks>
    public void Restore(IEnumerable<KeyGroupSnapshot> keyGroups)
    {
        _pendingRestore = new Dictionary<int, List<KeyGroupSnapshot>>();
        foreach (var kg in keyGroups)
        {
            if (kg.Version > KeyGroupSnapshot.CurrentVersion)
                throw new InvalidOperationException($"key group {kg.KeyGroup} was written by a newer state format (v{kg.Version}); this engine reads up to v{KeyGroupSnapshot.CurrentVersion}");
            if (!KeyGroups.Contains(kg.KeyGroup)) continue;
            if (!_pendingRestore.TryGetValue(kg.KeyGroup, out var chain)) _pendingRestore[kg.KeyGroup] = chain = [];
            chain.Add(kg);
        }
    }

    void IKeyedStateBackendInternal.FireProcessingTimers(long now)
    {
        foreach (var t in _timers.Values) t.FireProcessingTimers(now);
    }
}

/// <summary>Untyped view of a keyed backend for the runtime.</summary>
public interface IKeyedStateBackendInternal : IDisposable
{
    KeyGroupRange KeyGroups { get; }
    Type KeyType { get; }
    long EntryCount { get; }
    KeyedStateSnapshot Snapshot();
    KeyedStateSnapshot Snapshot(bool incremental);
    void Restore(IEnumerable<KeyGroupSnapshot> keyGroups);
    void FireProcessingTimers(long now);
}

internal interface IStateTable<TKey> : IKeyGroupedTable<TKey> where TKey : notnull
{
    int Count { get; }

    /// <summary>The state's time-to-live in milliseconds, or null when its entries do not expire.</summary>
    long? TtlMillis { get; }
    IEnumerable<TKey> Keys();
}
