using RecoFlow.Recommendations.Common;
using MessagePack;

namespace RecoFlow.Recommendations.Models;

/// <summary>Snapshot of a <see cref="CoVisitation"/> graph; neighbour lists are flattened per item.</summary>
[MessagePackObject]
public sealed class CoVisitationState
{
    [Key(0)] public double HalfLifeMs { get; set; }
    [Key(1)] public int MaxNeighbours { get; set; }
    [Key(2)] public long ReferenceMs { get; set; }
    [Key(3)] public bool HasReference { get; set; }
    [Key(4)] public int ItemCount { get; set; }
    /// <summary>Number of neighbours of each item.</summary>
    [Key(5)] public int[] Counts { get; set; } = [];
    /// <summary>Neighbour ids, item after item.</summary>
    [Key(6)] public int[] Neighbours { get; set; } = [];
    /// <summary>Weights (at the reference time), aligned with <see cref="Neighbours"/>.</summary>
    [Key(7)] public float[] Weights { get; set; } = [];
}

/// <summary>
/// Item-to-item co-visitation counts with exponential time decay and a bounded neighbour list per item.
/// <see cref="Add"/> strengthens the symmetric edge a–b by w at time t; weights decay with half-life h exactly as in
/// <see cref="DecayedPopularity"/> (shared reference time, rescaled when the exponent passes 32). Each item keeps at
/// most <c>maxNeighbours</c> neighbours; when a new neighbour arrives at a full list it replaces the weakest one if
/// its weight is larger, otherwise the update is dropped for that direction.
/// Which pairs co-occur (a session window, a user's recent items) is the caller's choice.
/// </summary>
public sealed class CoVisitation
{
    private const double RebaseExponent = 32;
    private ForwardDecay _decay;
    private readonly int _max;
    private int[][] _nbr = new int[64][];
    private float[][] _w = new float[64][];
    private int[] _count = new int[64];
    private int _items;

    public CoVisitation(TimeSpan halfLife, int maxNeighbours = 64)
    {
        if (halfLife <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(halfLife));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNeighbours);
        _decay = new ForwardDecay(halfLife.TotalMilliseconds);
        _max = maxNeighbours;
    }

    public int MaxNeighbours => _max;

    public int ItemCount => _items;

    /// <summary>Adds w to the edge a–b (both directions) at time <paramref name="timestampMs"/>. a = b is ignored.</summary>
    public void Add(int a, int b, float weight, long timestampMs)
    {
        if (a == b) return;
        ArgumentOutOfRangeException.ThrowIfNegative(a);
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        double growth = _decay.Growth(timestampMs, RebaseExponent, out double rebase);
        if (rebase != 1) Rescale((float)rebase);

        float scaled = (float)(weight * growth);
        Ensure(Math.Max(a, b));
        AddDirected(a, b, scaled);
        AddDirected(b, a, scaled);
    }

    /// <summary>Neighbours of an item and their weights at the reference time (multiply by <see cref="ScaleAt"/>).</summary>
    public int Neighbours(int item, out ReadOnlySpan<int> ids, out ReadOnlySpan<float> rawWeights)
    {
        if (item < 0 || item >= _items || _nbr[item] is null)
        {
            ids = default;
            rawWeights = default;
            return 0;
        }

        int n = _count[item];
        ids = _nbr[item].AsSpan(0, n);
        rawWeights = _w[item].AsSpan(0, n);
        return n;
    }

    /// <summary>Factor turning raw weights into decayed weights at <paramref name="nowMs"/>.</summary>
    public double ScaleAt(long nowMs) => _decay.ScaleAt(nowMs);

    /// <summary>Decayed weight of the edge a→b at <paramref name="nowMs"/> (0 when absent).</summary>
    public double Weight(int a, int b, long nowMs)
    {
        int n = Neighbours(a, out ReadOnlySpan<int> ids, out ReadOnlySpan<float> w);
        for (int j = 0; j < n; j++)
        {
            if (ids[j] == b) return w[j] * ScaleAt(nowMs);
        }

        return 0;
    }

    public CoVisitationState Snapshot()
    {
        int total = 0;
        for (int i = 0; i < _items; i++) total += _count[i];
        var ids = new int[total];
        var ws = new float[total];
        int o = 0;
        for (int i = 0; i < _items; i++)
        {
            int n = _count[i];
            if (n == 0) continue;
            Array.Copy(_nbr[i], 0, ids, o, n);
            Array.Copy(_w[i], 0, ws, o, n);
            o += n;
        }

        return new CoVisitationState
        {
            HalfLifeMs = _decay.HalfLifeMs,
            MaxNeighbours = _max,
            ReferenceMs = _decay.ReferenceMs,
            HasReference = _decay.HasReference,
            ItemCount = _items,
            Counts = _count[.._items],
            Neighbours = ids,
            Weights = ws,
        };
    }

    public static CoVisitation Restore(CoVisitationState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var c = new CoVisitation(TimeSpan.FromMilliseconds(s.HalfLifeMs), s.MaxNeighbours)
        {
            _decay = new ForwardDecay(s.HalfLifeMs, s.ReferenceMs, s.HasReference),
        };
        if (s.ItemCount > 0) c.Ensure(s.ItemCount - 1);
        int o = 0;
        for (int i = 0; i < s.ItemCount; i++)
        {
            int n = s.Counts[i];
            if (n == 0) continue;
            c._nbr[i] = new int[c._max];
            c._w[i] = new float[c._max];
            Array.Copy(s.Neighbours, o, c._nbr[i], 0, n);
            Array.Copy(s.Weights, o, c._w[i], 0, n);
            c._count[i] = n;
            o += n;
        }

        return c;
    }

    private void AddDirected(int a, int b, float w)
    {
        int[]? ids = _nbr[a];
        if (ids is null)
        {
            ids = _nbr[a] = new int[_max];
            _w[a] = new float[_max];
        }

        float[] ws = _w[a];
        int n = _count[a];
        int minPos = -1;
        float min = float.MaxValue;
        for (int j = 0; j < n; j++)
        {
            if (ids[j] == b)
            {
                ws[j] += w;
                return;
            }

            if (ws[j] < min)
            {
                min = ws[j];
                minPos = j;
            }
        }

        if (n < _max)
        {
            ids[n] = b;
            ws[n] = w;
            _count[a] = n + 1;
        }
        else if (w > min)
        {
            ids[minPos] = b;
            ws[minPos] = w;
        }
    }

    private void Ensure(int item)
    {
        if (item >= _nbr.Length)
        {
            int cap = Math.Max(item + 1, _nbr.Length * 2);
            Array.Resize(ref _nbr, cap);
            Array.Resize(ref _w, cap);
            Array.Resize(ref _count, cap);
        }

        if (item >= _items) _items = item + 1;
    }

    private void Rescale(float f)
    {
        for (int i = 0; i < _items; i++)
        {
            float[]? ws = _w[i];
            if (ws is null) continue;
            for (int j = 0; j < _count[i]; j++) ws[j] *= f;
        }
    }
}
