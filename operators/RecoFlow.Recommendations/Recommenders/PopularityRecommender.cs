using MessagePack;
using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Recommenders;

/// <summary>Snapshot of a <see cref="PopularityRecommender"/>.</summary>
[MessagePackObject]
public sealed class PopularityState
{
    [Key(0)] public float[] Counts { get; set; } = [];
}

/// <summary>
/// Baseline: items ranked by the number of earlier positive events (ties to the lower dense id, i.e. the item seen
/// first). Items never positively rated are not recommended. Not personalised beyond the exclusion list.
/// </summary>
public sealed class PopularityRecommender : IRecommender
{
    private float[] _counts = new float[64];
    private float[] _scores = new float[64];
    private int _items;

    public string Name => "popularity";

    public void Learn(in FeedbackEvent e)
    {
        if (!e.IsPositive) return;
        if (e.Item >= _counts.Length) Array.Resize(ref _counts, Math.Max(e.Item + 1, _counts.Length * 2));
        if (e.Item >= _items) _items = e.Item + 1;
        _counts[e.Item]++;
    }

    /// <summary>Positive events seen on <paramref name="item"/> so far (the score this baseline ranks by).</summary>
    public float Count(int item) => item >= 0 && item < _items ? _counts[item] : 0;

    public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination)
    {
        if (_scores.Length < _items) _scores = new float[_counts.Length];
        Span<float> s = _scores.AsSpan(0, _items);
        for (int i = 0; i < s.Length; i++) s[i] = _counts[i] > 0 ? _counts[i] : float.NegativeInfinity;
        foreach (int x in exclude) if (x < _items) s[x] = float.NegativeInfinity;
        return TopK.Select(s, _items, destination[..k]);
    }

    public PopularityState Snapshot() => new() { Counts = _counts[.._items] };

    public static PopularityRecommender Restore(PopularityState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var p = new PopularityRecommender { _items = state.Counts.Length };
        p._counts = new float[Math.Max(64, state.Counts.Length)];
        state.Counts.CopyTo(p._counts, 0);
        return p;
    }
}
