namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The bounded candidate sources of a <see cref="ModelStore"/> that do not depend on the user: the most popular items
/// overall and the most popular items of each category, as store indices, best first. Kept up to date incrementally
/// from the items each applied version touched (<see cref="Touch"/>), so the cost of a list does not grow with the
/// catalogue; rebuilt in full after a rollback or a restore (<see cref="Rebuild"/>).
/// <para>Forward-decayed popularity only grows between rebuilds (a version adds terms; a rebase scales every item
/// alike), so a top list that only admits and re-sorts touched items stays exact.</para>
/// <para>Transient: one per scoring subtask, derived from the store, never checkpointed.</para>
/// </summary>
public sealed class CandidateIndex(int popular = 200, int perCategory = 40)
{
    private readonly TopList _popular = new(popular);
    private readonly List<TopList> _byCategory = [];
    private int _known;

    /// <summary>The most popular items, best first.</summary>
    public ReadOnlySpan<int> Popular => _popular.Items;

    /// <summary>The most popular items of category <paramref name="category"/>, best first (empty when unknown).</summary>
    public ReadOnlySpan<int> OfCategory(int category) => category < _byCategory.Count ? _byCategory[category].Items : [];

    /// <summary>Rebuilds every list from the whole store.</summary>
    public void Rebuild(ModelStore store, IReadOnlyList<int[]> categories)
    {
        ArgumentNullException.ThrowIfNull(store);
        _popular.Clear();
        foreach (var list in _byCategory) list.Clear();
        _known = 0;
        for (int i = 0; i < store.Count; i++) Admit(store, categories, i);
        _known = store.Count;
    }

    /// <summary>Admits the items a version wrote (and every item new to the store since the last call).</summary>
    public void Touch(ModelStore store, IReadOnlyList<int[]> categories, IEnumerable<int> touched)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(touched);
        // Every touched item leaves its lists before any is offered again: offered one by one, an item would be placed
        // against touched items whose new values still sit at their old places, and the list would lose its order.
        foreach (int i in touched) Remove(categories, i);
        foreach (int i in touched) Admit(store, categories, i);
        for (; _known < store.Count; _known++) Admit(store, categories, _known);
    }

    private void Remove(IReadOnlyList<int[]> categories, int i)
    {
        _popular.Remove(i);
        if (i >= categories.Count) return;
        foreach (int c in categories[i])
            if (c < _byCategory.Count) _byCategory[c].Remove(i);
    }

    private void Admit(ModelStore store, IReadOnlyList<int[]> categories, int i)
    {
        var pop = store.Popularity;
        _popular.Offer(i, pop);
        if (i >= categories.Count) return;
        foreach (int c in categories[i])
        {
            while (_byCategory.Count <= c) _byCategory.Add(new TopList(perCategory));
            _byCategory[c].Offer(i, pop);
        }
    }

    /// <summary>A bounded list of store indices sorted by descending popularity (ties by index).</summary>
    private sealed class TopList(int capacity)
    {
        private readonly int[] _items = new int[capacity];
        private int _count;

        public ReadOnlySpan<int> Items => _items.AsSpan(0, _count);

        public void Clear() => _count = 0;

        public void Remove(int item)
        {
            int at = Array.IndexOf(_items, item, 0, _count);
            if (at < 0) return;
            Array.Copy(_items, at + 1, _items, at, _count - at - 1);
            _count--;
        }

        public void Offer(int item, List<double> popularity)
        {
            Remove(item);
            double v = popularity[item];
            if (!(v > 0)) return;
            if (_count == _items.Length && !Better(item, v, _items[_count - 1], popularity[_items[_count - 1]])) return;
            int pos = _count == _items.Length ? _count - 1 : _count;
            while (pos > 0 && Better(item, v, _items[pos - 1], popularity[_items[pos - 1]]))
            {
                _items[pos] = _items[pos - 1];
                pos--;
            }
            _items[pos] = item;
            if (_count < _items.Length) _count++;
        }

        private static bool Better(int a, double va, int b, double vb) => va > vb || (va == vb && a < b);
    }
}
