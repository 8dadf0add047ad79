namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The candidates of the list last served to each recently active user, with their features: the example the learned
/// blend is taught with when the user's next positive event labels it, so that the job learns from the list the user
/// was shown instead of computing that list a second time (the probe) at the next positive event.
/// <para>A cache, not state: it lives in one scoring subtask's memory and is empty after a restore; a user it does not
/// hold (evicted, restored, or served by an older store) gets the probe computed as before. Entries are by store
/// index, so they are valid only for the store and rewind count they were taken with.</para>
/// <para>Bounded by two generations: kept lists go into the young one, a hit on the old one moves there; when the young
/// one holds <see cref="GenerationFloats"/> features it becomes the old one and the old one is dropped. Memory is at
/// most about two generations' features (plus their items), whatever the number of users. The entries of a dropped
/// generation are reused for the next lists kept, so that a steady stream of users allocates nothing (entries dropped
/// after living through a few collections would otherwise be the collector's most expensive kind of garbage).</para>
/// </summary>
public sealed class ServedLists(int featureCount, int generationFloats = ServedLists.DefaultGenerationFloats)
{
    /// <summary>About 8 MiB of features per generation: some 850 users with lists of 186 candidates (MovieLens's mean) of 13 features.</summary>
    public const int DefaultGenerationFloats = 2 * 1024 * 1024;

    private Dictionary<string, Entry> _young = new(StringComparer.Ordinal);
    private Dictionary<string, Entry> _old = new(StringComparer.Ordinal);
    private readonly Stack<Entry> _free = new();
    private long _youngFloats;
    private float[] _scores = new float[256];

    public int GenerationFloats { get; } = generationFloats > 0 ? generationFloats : throw new ArgumentOutOfRangeException(nameof(generationFloats));

    /// <summary>Users held (both generations).</summary>
    public int Count => _young.Count + _old.Count;

    /// <summary>Keeps the candidates (<paramref name="c"/>) of the list just served to <paramref name="user"/>, replacing any earlier one.</summary>
    public void Keep(string user, ModelStore store, Candidates c)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(c);
        if (_young.Remove(user, out var e)) _youngFloats -= e.Count * featureCount;
        else if (!_old.Remove(user, out e)) e = _free.Count > 0 ? _free.Pop() : new Entry();
        int n = c.Count;
        if (e.Items.Length < n)
        {
            int capacity = n + n / 4; // room for the next, somewhat longer list of a reused entry
            e.Items = new int[capacity];
            e.Features = new float[capacity * featureCount];
        }
        c.Items.CopyTo(e.Items);
        c.Features.CopyTo(e.Features);
        e.Count = n;
        e.Store = store;
        e.Rewinds = store.Rewinds;
        Add(user, e);
    }

    /// <summary>
    /// The list last served to <paramref name="user"/> under <paramref name="store"/>, if held: its items (store
    /// indices) and their features, row-major. The spans are valid until the next call.
    /// </summary>
    public bool TryGet(string user, ModelStore store, out ReadOnlySpan<int> items, out ReadOnlySpan<float> features)
    {
        ArgumentNullException.ThrowIfNull(store);
        items = default;
        features = default;
        if (!_young.TryGetValue(user, out var e))
        {
            if (!_old.Remove(user, out e)) return false;
            Add(user, e);
        }
        if (!ReferenceEquals(e.Store, store) || e.Rewinds != store.Rewinds || e.Count == 0) return false;
        items = e.Items.AsSpan(0, e.Count);
        features = e.Features.AsSpan(0, e.Count * featureCount);
        return true;
    }

    /// <summary>A scratch buffer for <paramref name="count"/> scores, owned by this cache (one per subtask).</summary>
    public Span<float> ScoreBuffer(int count)
    {
        if (_scores.Length < count) _scores = new float[Math.Max(count, 2 * _scores.Length)];
        return _scores.AsSpan(0, count);
    }

    /// <summary>Drops the user's list (erasure, expiry).</summary>
    public void Forget(string user)
    {
        if (_young.Remove(user, out var e)) _youngFloats -= e.Count * featureCount;
        else if (!_old.Remove(user, out e)) return;
        Free(e);
    }

    private void Free(Entry e)
    {
        e.Store = null;
        e.Count = 0;
        _free.Push(e);
    }

    private void Add(string user, Entry e)
    {
        if (_youngFloats + e.Count * featureCount > GenerationFloats && _young.Count > 0)
        {
            foreach (var dropped in _old.Values) Free(dropped);
            (_old, _young) = (_young, _old);
            _young.Clear();
            _youngFloats = 0;
        }
        _young[user] = e;
        _youngFloats += e.Count * featureCount;
    }

    private sealed class Entry
    {
        public int[] Items = [];
        public float[] Features = [];
        public int Count;
        public ModelStore? Store;
        public long Rewinds;
    }
}
