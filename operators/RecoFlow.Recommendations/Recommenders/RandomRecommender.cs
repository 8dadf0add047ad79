using MessagePack;
using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Recommenders;

/// <summary>Snapshot of a <see cref="RandomRecommender"/>.</summary>
[MessagePackObject]
public sealed class RandomRecommenderState
{
    [Key(0)] public ulong RngState { get; set; }
    [Key(1)] public int ItemCount { get; set; }
}

/// <summary>Baseline: K distinct items drawn uniformly (seeded) from the items seen in any earlier event, minus exclusions.</summary>
public sealed class RandomRecommender : IRecommender
{
    private readonly SplitMix64 _rng;
    private int _items;

    public RandomRecommender(ulong seed = 1) => _rng = new SplitMix64(seed);

    private RandomRecommender(SplitMix64 rng, int items)
    {
        _rng = rng;
        _items = items;
    }

    public string Name => "random";

    public void Learn(in FeedbackEvent e)
    {
        if (e.Item >= _items) _items = e.Item + 1;
    }

    public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination)
    {
        int available = _items - exclude.Length;
        int want = Math.Min(k, Math.Max(0, available));
        int m = 0;
        int guard = 0;
        while (m < want && guard++ < 100 * k)
        {
            int c = _rng.NextInt(_items);
            if (exclude.Contains(c) || destination[..m].Contains(c)) continue;
            destination[m++] = c;
        }

        return m;
    }

    public RandomRecommenderState Snapshot() => new() { RngState = _rng.State, ItemCount = _items };

    public static RandomRecommender Restore(RandomRecommenderState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new RandomRecommender(new SplitMix64(s.RngState), s.ItemCount);
    }
}
