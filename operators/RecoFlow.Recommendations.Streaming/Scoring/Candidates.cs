namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The candidates of one list: store indices, a row of <see cref="CandidateFeatures"/> per candidate and, once
/// scored, their scores. A dense slot map over the store makes adding a candidate O(1); only the entries the list used
/// are reset, so a list costs in proportion to its candidates, never to the catalogue.
/// <para>A buffer owned by one scoring subtask (created in Open) and reused from list to list; never shared.</para>
/// </summary>
public sealed class Candidates
{
    public const int F = CandidateFeatures.Count;
    private const int Excluded = -1;

    private int[] _slot = [];          // by store index: slot + 1, 0 = not a candidate, Excluded = excluded
    private readonly List<int> _marked = [];
    private int[] _items = new int[256];
    private float[] _x = new float[256 * F];
    private float[] _scores = new float[256];

    public int Count { get; private set; }

    public ReadOnlySpan<int> Items => _items.AsSpan(0, Count);

    /// <summary>Row-major features, <see cref="F"/> per candidate.</summary>
    public Span<float> Features => _x.AsSpan(0, Count * F);

    public Span<float> Scores => _scores.AsSpan(0, Count);

    public Span<float> Row(int slot) => _x.AsSpan(slot * F, F);

    private Func<int, bool>? _excluded;

    /// <summary>
    /// Forgets the previous list; the store holds <paramref name="storeCount"/> items. <paramref name="excluded"/>, when
    /// given, is asked once per distinct item the list meets (never per item the user saw: that set grows without bound).
    /// </summary>
    public void Reset(int storeCount, Func<int, bool>? excluded = null)
    {
        _excluded = excluded;
        foreach (int i in _marked) _slot[i] = 0;
        _marked.Clear();
        for (int c = 0; c < Count; c++) _slot[_items[c]] = 0;
        Count = 0;
        if (_slot.Length < storeCount) Array.Resize(ref _slot, Math.Max(storeCount, _slot.Length * 2));
    }

    /// <summary>The slot of <paramref name="item"/>, or −1 when it is not a candidate (or is excluded).</summary>
    public int SlotOf(int item) => item >= 0 && item < _slot.Length && _slot[item] > 0 ? _slot[item] - 1 : -1;

    /// <summary>The slot of <paramref name="item"/>, added (features zero) when new; −1 when excluded.</summary>
    public int Add(int item)
    {
        int s = _slot[item];
        if (s > 0) return s - 1;
        if (s == Excluded) return -1;
        if (_excluded is not null && _excluded(item))
        {
            _slot[item] = Excluded;
            _marked.Add(item);
            return -1;
        }
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Count * 2);
            Array.Resize(ref _x, Count * 2 * F);
            Array.Resize(ref _scores, Count * 2);
        }
        int slot = Count++;
        _items[slot] = item;
        _x.AsSpan(slot * F, F).Clear();
        _slot[item] = slot + 1;
        return slot;
    }

    /// <summary>Writes the slots of the best <paramref name="destination"/>.Length candidates by score into it, best first (ties by slot); returns how many.</summary>
    public int Top(Span<int> destination)
    {
        int k = Math.Min(destination.Length, Count);
        if (k == 0) return 0;
        // Partial selection: an insertion into a sorted prefix is cheap for the K ≤ ~100 the lists use.
        int n = 0;
        for (int c = 0; c < Count; c++)
        {
            float s = _scores[c];
            if (float.IsNaN(s)) continue;
            if (n == k && !(s > _scores[destination[n - 1]])) continue;
            int at = n == k ? k - 1 : n++;
            while (at > 0 && s > _scores[destination[at - 1]])
            {
                destination[at] = destination[at - 1];
                at--;
            }
            destination[at] = c;
        }
        return n;
    }
}
