using RecoFlow.Api.Operators;
using RecoFlow.Api.State;

namespace RecoFlow.Runtime.State;

/// <summary>A backend's timers of one namespace type; as a <see cref="IKeyGroupedTable{TKey}"/> its entries are timers, registered, or removed when they fire or are deleted.</summary>
internal interface ITimerTable<TKey> : IKeyGroupedTable<TKey> where TKey : notnull
{
    void AdvanceWatermark(long watermark);
    void FireProcessingTimers(long now);
}

/// <summary>A registered timer; a (key, namespace, time) triple fires at most once.</summary>
[MessagePack.MessagePackObject]
public readonly record struct TimerEntry<TKey, TNamespace>(
    [property: MessagePack.Key(0)] TKey Key,
    [property: MessagePack.Key(1)] TNamespace Namespace,
    [property: MessagePack.Key(2)] long Time,
    [property: MessagePack.Key(3)] bool EventTime);

/// <summary>
/// Event-time and processing-time timers of one timer service (Flink: InternalTimerServiceImpl): a priority queue by
/// time plus a set of live timers for de-duplication and deletion. Part of keyed state: snapshotted per key group,
/// fully or, for incremental checkpoints, as the timers added and removed since the last snapshot.
/// </summary>
internal sealed class TimerTable<TKey, TNamespace>(KeyedStateBackend<TKey> backend, ITimerCallback<TKey, TNamespace> callback, IProcessingTimeService processingTime)
    : ITimerTable<TKey>, ITimerService<TKey, TNamespace>
    where TKey : notnull where TNamespace : notnull
{
    // Timers of one time fire in key order (ordinal for strings; keys that cannot be compared tie), not in the heap's
    // order of insertion: a replay that registers the same timers in another order fires them in the same order.
    private static readonly bool KeysCompare = typeof(IComparable<TKey>).IsAssignableFrom(typeof(TKey)) || typeof(IComparable).IsAssignableFrom(typeof(TKey));
    private static readonly IComparer<(long Time, TKey Key)> FiringOrder = Comparer<(long Time, TKey Key)>.Create((a, b) =>
        a.Time != b.Time ? a.Time.CompareTo(b.Time)
        : a.Key is string x && b.Key is string y ? string.CompareOrdinal(x, y)
        : KeysCompare ? Comparer<TKey>.Default.Compare(a.Key, b.Key) : 0);

    private readonly PriorityQueue<TimerEntry<TKey, TNamespace>, (long Time, TKey Key)> _eventQueue = new(FiringOrder);
    private readonly PriorityQueue<TimerEntry<TKey, TNamespace>, (long Time, TKey Key)> _processingQueue = new(FiringOrder);
    private readonly HashSet<TimerEntry<TKey, TNamespace>> _live = [];
    private HashSet<TimerEntry<TKey, TNamespace>> _added = [];
    private HashSet<TimerEntry<TKey, TNamespace>> _removed = [];
    private bool _overflowed;
    private long _nextProcessingWakeUp = long.MaxValue;

    public long CurrentWatermark => backend.CurrentWatermark;
    public long CurrentProcessingTime => processingTime.CurrentProcessingTime;
    public int Count => _live.Count;

    public void RegisterEventTimeTimer(TNamespace ns, long time)
    {
        var e = new TimerEntry<TKey, TNamespace>(backend.CurrentKey, ns, time, true);
        if (!_live.Add(e)) return;
        _eventQueue.Enqueue(e, (time, e.Key));
        Added(e);
    }

    public void DeleteEventTimeTimer(TNamespace ns, long time) => Remove(new(backend.CurrentKey, ns, time, true));

    private bool Remove(in TimerEntry<TKey, TNamespace> e)
    {
        if (!_live.Remove(e)) return false;
        if (_overflowed || _added.Remove(e)) return true;
        _removed.Add(e);
        CheckOverflow();
        return true;
    }

    private void Added(in TimerEntry<TKey, TNamespace> e)
    {
        if (_overflowed || _removed.Remove(e)) return;
        _added.Add(e);
        CheckOverflow();
    }

    /// <summary>More changes than live timers: a delta would outgrow a full snapshot; stop tracking until the next one.</summary>
    private void CheckOverflow()
    {
        var changes = _added.Count + _removed.Count;
        if (changes <= 4096 || changes <= _live.Count) return;
        _overflowed = true;
        _added = [];
        _removed = [];
    }

    public void RegisterProcessingTimeTimer(TNamespace ns, long time)
    {
        var e = new TimerEntry<TKey, TNamespace>(backend.CurrentKey, ns, time, false);
        if (!_live.Add(e)) return;
        _processingQueue.Enqueue(e, (time, e.Key));
        Added(e);
        ScheduleWakeUp(time);
    }

    public void DeleteProcessingTimeTimer(TNamespace ns, long time) => Remove(new(backend.CurrentKey, ns, time, false));

    private void ScheduleWakeUp(long time)
    {
        if (time >= _nextProcessingWakeUp) return;
        _nextProcessingWakeUp = time;
        processingTime.RegisterTimer(time, FireProcessingTimers);
    }

    public void AdvanceWatermark(long watermark)
    {
        while (_eventQueue.TryPeek(out var e, out var p) && p.Time <= watermark)
        {
            _eventQueue.Dequeue();
            if (!Remove(e)) continue;
            backend.CurrentKey = e.Key;
            callback.OnEventTime(e.Key, e.Namespace, e.Time);
        }
    }

    public void FireProcessingTimers(long now)
    {
        if (now >= _nextProcessingWakeUp) _nextProcessingWakeUp = long.MaxValue;
        while (_processingQueue.TryPeek(out var e, out var p) && p.Time <= now)
        {
            _processingQueue.Dequeue();
            if (!Remove(e)) continue;
            backend.CurrentKey = e.Key;
            callback.OnProcessingTime(e.Key, e.Namespace, e.Time);
        }
        while (_processingQueue.TryPeek(out var e, out _) && !_live.Contains(e)) _processingQueue.Dequeue();
        if (_processingQueue.TryPeek(out _, out var next)) ScheduleWakeUp(next.Time);
    }

    public void RemoveKey(TKey key)
    {
        foreach (var e in _live.Where(e => EqualityComparer<TKey>.Default.Equals(e.Key, key)).ToList()) Remove(e);
    }

    public IEnumerable<(int KeyGroup, byte[] Bytes)> Snapshot(Func<TKey, int> keyGroupOf)
    {
        var byGroup = new Dictionary<int, List<TimerEntry<TKey, TNamespace>>>();
        foreach (var e in _live)
        {
            var kg = keyGroupOf(e.Key);
            if (!byGroup.TryGetValue(kg, out var list)) byGroup[kg] = list = [];
            list.Add(e);
        }
        foreach (var (kg, list) in byGroup) yield return (kg, StateSerializer.Serialize(list));
    }

    public void Restore(byte[] bytes)
    {
        foreach (var e in StateSerializer.Deserialize<List<TimerEntry<TKey, TNamespace>>>(bytes))
        {
            if (!_live.Add(e)) continue;
            if (e.EventTime) _eventQueue.Enqueue(e, (e.Time, e.Key));
            else
            {
                _processingQueue.Enqueue(e, (e.Time, e.Key));
                ScheduleWakeUp(e.Time);
            }
        }
    }

    public bool CanSnapshotChanges => !_overflowed;

    public IEnumerable<(int KeyGroup, byte[]? Upserts, byte[]? Deletions)> SnapshotChanges(Func<TKey, int> keyGroupOf)
    {
        var byGroup = new Dictionary<int, (List<TimerEntry<TKey, TNamespace>>? Added, List<TimerEntry<TKey, TNamespace>>? Removed)>();
        foreach (var e in _added)
        {
            var kg = keyGroupOf(e.Key);
            byGroup.TryGetValue(kg, out var g);
            (g.Added ??= []).Add(e);
            byGroup[kg] = g;
        }
        foreach (var e in _removed)
        {
            var kg = keyGroupOf(e.Key);
            byGroup.TryGetValue(kg, out var g);
            (g.Removed ??= []).Add(e);
            byGroup[kg] = g;
        }
        foreach (var (kg, g) in byGroup)
            yield return (kg, g.Added is null ? null : StateSerializer.Serialize(g.Added), g.Removed is null ? null : StateSerializer.Serialize(g.Removed));
    }

    public void ApplyDeletions(byte[] bytes)
    {
        // Queued copies of removed timers are skipped when they come up (they are no longer live).
        foreach (var e in StateSerializer.Deserialize<List<TimerEntry<TKey, TNamespace>>>(bytes)) _live.Remove(e);
    }

    public void ResetChanges()
    {
        _overflowed = false;
        if (_added.Count > 0) _added = [];
        if (_removed.Count > 0) _removed = [];
    }
}
