namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The items a user's list leaves out (the user's seen items, or only the positives), marked by store index so that a
/// candidate's check is one array read instead of a string-set lookup. The marks are kept for the last user state and
/// store they were built for and follow the user's next remembered item; they are rebuilt when the user, the store's
/// item count or its rewinds change. A user with more than <see cref="MaxMarked"/> excluded items is checked against
/// the set directly: building the marks costs a lookup per excluded item, and a list checks about 400 candidates, so
/// with users that alternate (every list a new user) the marks never cost more lookups than the set would.
/// <para>A buffer owned by one scoring subtask (through its <see cref="CandidateGenerator"/>); never shared.</para>
/// </summary>
public sealed class ExclusionMarks
{
    /// <summary>Above this many excluded items the marks are not built (the set is asked per candidate instead).</summary>
    public const int MaxMarked = 256;

    private int[] _mark = [];
    private int _stamp;
    private HashSet<string>? _set;
    private ModelStore? _store;
    private long _rewinds;
    private int _storeCount;
    private int _setCount;
    private string? _lastSeen;
    private bool _marked;

    /// <summary>Makes the marks those of <paramref name="user"/> against <paramref name="store"/>.</summary>
    /// <param name="excludeSeen">Every seen item is excluded (else only the positives).</param>
    public void Bind(ModelStore store, UserScoringState user, bool excludeSeen)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(user);
        var set = excludeSeen ? user.Seen : user.Positives;
        string? last = user.SeenOrder.Count > 0 ? user.SeenOrder[^1] : null;
        // The set is the user's own (seen items or positives), so the same set is the same user and the same rule.
        bool same = _marked && ReferenceEquals(set, _set) && ReferenceEquals(store, _store) && store.Rewinds == _rewinds && store.Count == _storeCount;
        if (same && set.Count == _setCount && ReferenceEquals(last, _lastSeen)) return;
        if (same && excludeSeen && set.Count == _setCount + 1 && user.SeenOrder.Count == set.Count && last is not null)
        {
            // One more item remembered since the last list (the event just learned from): mark it alone.
            Mark(store, last);
            _setCount++;
            _lastSeen = last;
            return;
        }
        _set = set;
        _store = store;
        _rewinds = store.Rewinds;
        _storeCount = store.Count;
        _setCount = set.Count;
        _lastSeen = last;
        _marked = set.Count <= MaxMarked;
        if (!_marked) return;
        if (_mark.Length < store.Count) _mark = new int[Math.Max(store.Count, 2 * _mark.Length)];
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_mark);
            _stamp = 1;
        }
        foreach (string id in set) Mark(store, id);
    }

    /// <summary>True when the list must leave out the item at store index <paramref name="item"/>.</summary>
    public bool IsExcluded(int item) => _marked ? _mark[item] == _stamp : _set!.Contains(_store!.Ids[item]);

    private void Mark(ModelStore store, string id)
    {
        int i = store.IndexOf(id);
        if (i >= 0) _mark[i] = _stamp;
    }
}
