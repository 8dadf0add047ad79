using RecoFlow.Recommendations.Common;
using MessagePack;

namespace RecoFlow.Recommendations.Models;

/// <summary>Snapshot of a <see cref="DecayedPopularity"/>.</summary>
[MessagePackObject]
public sealed class DecayedPopularityState
{
    [Key(0)] public double HalfLifeMs { get; set; }
    [Key(1)] public long ReferenceMs { get; set; }
    [Key(2)] public double[] Scaled { get; set; } = [];
    [Key(3)] public int ItemCount { get; set; }
    [Key(4)] public bool HasReference { get; set; }
}

/// <summary>
/// Item popularity with exponential time decay: an increment w at time t contributes w·2^(−(now−t)/h) at time now,
/// h being the half-life. All items share one reference time r: the stored value of item i is
/// Σ w·2^((t−r)/h), so ranking at any instant is by stored value and <see cref="Score"/> multiplies by 2^((r−now)/h).
/// When the exponent grows past 64 the reference moves forward and all stored values are rescaled (O(items), rare).
/// Timestamps are expected in non-decreasing order; an older timestamp is simply decayed from its own time.
/// </summary>
public sealed class DecayedPopularity
{
    private const double RebaseExponent = 64;
    private ForwardDecay _decay;
    private double[] _scaled = new double[64];
    private int _items;

    public DecayedPopularity(TimeSpan halfLife)
    {
        if (halfLife <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(halfLife));
        _decay = new ForwardDecay(halfLife.TotalMilliseconds);
    }

    private DecayedPopularity(DecayedPopularityState s)
    {
        _decay = new ForwardDecay(s.HalfLifeMs, s.ReferenceMs, s.HasReference);
        _items = s.ItemCount;
        _scaled = new double[Math.Max(64, s.Scaled.Length)];
        s.Scaled.CopyTo(_scaled, 0);
    }

    public int ItemCount => _items;

    public void Add(int item, double weight, long timestampMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        double growth = _decay.Growth(timestampMs, RebaseExponent, out double rebase);
        if (rebase != 1)
            for (int i = 0; i < _items; i++) _scaled[i] *= rebase;

        if (item >= _scaled.Length) Array.Resize(ref _scaled, Math.Max(item + 1, _scaled.Length * 2));
        if (item >= _items) _items = item + 1;
        _scaled[item] += weight * growth;
    }

    /// <summary>Decayed popularity of an item at <paramref name="nowMs"/>.</summary>
    public double Score(int item, long nowMs) =>
        item < _items && _decay.HasReference ? _scaled[item] * _decay.ScaleAt(nowMs) : 0;

    /// <summary>
    /// Values proportional to the decayed popularity (all share the same positive factor), for ranking without a
    /// per-item exponential. Multiply by <see cref="ScaleAt"/> to get the decayed value.
    /// </summary>
    public ReadOnlySpan<double> RawScores => _scaled.AsSpan(0, _items);

    /// <summary>Factor that turns <see cref="RawScores"/> into decayed popularity at <paramref name="nowMs"/>.</summary>
    public double ScaleAt(long nowMs) => _decay.ScaleAt(nowMs);

    public DecayedPopularityState Snapshot() => new()
    {
        HalfLifeMs = _decay.HalfLifeMs,
        ReferenceMs = _decay.ReferenceMs,
        HasReference = _decay.HasReference,
        ItemCount = _items,
        Scaled = _scaled[.._items],
    };

    public static DecayedPopularity Restore(DecayedPopularityState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new DecayedPopularity(state);
    }

}
