namespace RecoFlow.Runtime.State;

/// <summary>
/// The keys of one state written or removed since its last snapshot (Flink's heap backend keeps a version per entry
/// for its copy-on-write snapshots; a set of changed keys is what an incremental snapshot needs). When more keys
/// changed than the state holds, a delta would be larger than the state itself: the set is dropped and the next
/// snapshot is a full one (<see cref="Overflowed"/>), which also bounds the set's memory when no checkpoint is taken.
/// </summary>
internal sealed class ChangedKeys<TKey> where TKey : notnull
{
    /// <summary>Below this many changed keys the set is always kept.</summary>
    private const int MinTracked = 4096;
    private HashSet<TKey> _keys = [];

    /// <summary>True when the changes are no longer tracked one by one: the next snapshot must be full.</summary>
    public bool Overflowed { get; private set; }

    public int Count => _keys.Count;
    public IEnumerable<TKey> Keys => _keys;

    /// <summary>Records that <paramref name="key"/> changed; <paramref name="stateSize"/> is the state's current number of keys.</summary>
    public void Touch(TKey key, int stateSize)
    {
        if (Overflowed || !_keys.Add(key)) return;
        if (_keys.Count > MinTracked && _keys.Count > stateSize)
        {
            Overflowed = true;
            _keys = [];
        }
    }

    public void Reset()
    {
        Overflowed = false;
        if (_keys.Count > 0) _keys = [];
    }
}
