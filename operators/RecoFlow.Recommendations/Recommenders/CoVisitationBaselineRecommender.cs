using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Recommenders;

/// <summary>
/// Baseline: plain item-to-item co-visitation of positive events, no decay over time, no learned weights.
/// <list type="bullet">
/// <item>Learning: a positive event on item i links i with each of the user's previous <see cref="History"/> positive
/// items h_d (d = 0 the most recent), both directions, adding 1/(1+d) to link(i, h_d) and to link(h_d, i). The user's
/// history holds distinct items, most recent first: a repeated positive moves its item to the front and never links
/// an item with itself. Other events are ignored.</item>
/// <item>Scoring: score(j) = Σ_r 0.85^r · link(h_r, j) over the user's last <see cref="History"/> positive items
/// (r = 0 the most recent), never an excluded item. Items are ranked by score, ties by popularity (the count of
/// positive events, as <see cref="PopularityRecommender"/>), then by the lower id; lists shorter than K after the
/// linked items are filled in <see cref="PopularityRecommender"/>'s order.</item>
/// </list>
/// </summary>
public sealed class CoVisitationBaselineRecommender : IRecommender
{
    /// <summary>How many previous positive items an event links with, and how many a list is scored from.</summary>
    public const int History = 10;

    /// <summary>Weight of the r-th most recent history item when scoring (0.85^r).</summary>
    public const double RankDecay = 0.85;

    private static readonly double[] RankWeights = Enumerable.Range(0, History).Select(r => Math.Pow(RankDecay, r)).ToArray();

    private readonly PopularityRecommender _popularity = new();
    private Dictionary<int, double>?[] _links = new Dictionary<int, double>?[64];
    private int[]?[] _history = new int[]?[64];
    private int[] _historyLength = new int[64];
    private double[] _scores = new double[64];
    private bool[] _excluded = new bool[64];
    private readonly List<int> _touched = [];
    private readonly List<int> _fillExclude = [];

    public string Name => "covisitation";

    /// <summary>Accumulated link weight from <paramref name="from"/> to <paramref name="to"/> (0 when never linked).</summary>
    public double Link(int from, int to) =>
        from >= 0 && from < _links.Length && _links[from] is { } row && row.TryGetValue(to, out double w) ? w : 0;

    /// <summary>The user's history, most recent first.</summary>
    public ReadOnlySpan<int> HistoryOf(int user) =>
        user >= 0 && user < _history.Length && _history[user] is { } h ? h.AsSpan(0, _historyLength[user]) : [];

    public void Learn(in FeedbackEvent e)
    {
        _popularity.Learn(e);
        if (!e.IsPositive) return;
        EnsureItem(e.Item);
        EnsureUser(e.User);
        int[] h = _history[e.User] ??= new int[History];
        int n = _historyLength[e.User];
        for (int d = 0; d < n; d++)
        {
            int other = h[d];
            if (other == e.Item) continue;
            double w = 1.0 / (1 + d);
            Add(e.Item, other, w);
            Add(other, e.Item, w);
        }

        // Move (or insert) the item to the front.
        int at = Array.IndexOf(h, e.Item, 0, n);
        int shiftFrom = at >= 0 ? at : Math.Min(n, History - 1);
        for (int p = shiftFrom; p > 0; p--) h[p] = h[p - 1];
        h[0] = e.Item;
        if (at < 0 && n < History) _historyLength[e.User] = n + 1;
    }

    public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination)
    {
        if (k <= 0) return 0;
        foreach (int x in exclude) if (x >= 0 && x < _excluded.Length) _excluded[x] = true;
        try
        {
            ReadOnlySpan<int> h = HistoryOf(user);
            for (int r = 0; r < h.Length; r++)
            {
                if (_links[h[r]] is not { } row) continue;
                double rw = RankWeights[r];
                foreach (var (item, w) in row)
                {
                    if (_excluded[item]) continue;
                    if (_scores[item] == 0) _touched.Add(item);
                    _scores[item] += rw * w;
                }
            }

            int m = 0;
            foreach (int item in _touched)
            {
                if (m < k)
                {
                    destination[m++] = item;
                }
                else if (Better(item, destination[k - 1]))
                {
                    destination[k - 1] = item;
                }
                else
                {
                    continue;
                }

                for (int p = m - 1; p > 0 && Better(destination[p], destination[p - 1]); p--)
                    (destination[p], destination[p - 1]) = (destination[p - 1], destination[p]);
            }

            if (m < k)
            {
                _fillExclude.Clear();
                _fillExclude.AddRange(exclude);
                for (int p = 0; p < m; p++) _fillExclude.Add(destination[p]);
                m += _popularity.Recommend(user, k - m, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_fillExclude), nowMs, destination[m..]);
            }

            return m;
        }
        finally
        {
            foreach (int item in _touched) _scores[item] = 0;
            _touched.Clear();
            foreach (int x in exclude) if (x >= 0 && x < _excluded.Length) _excluded[x] = false;
        }
    }

    /// <summary>Ranking order: higher score, then higher popularity, then lower id.</summary>
    private bool Better(int a, int b)
    {
        if (_scores[a] != _scores[b]) return _scores[a] > _scores[b];
        float ca = _popularity.Count(a), cb = _popularity.Count(b);
        if (ca != cb) return ca > cb;
        return a < b;
    }

    private void Add(int from, int to, double w)
    {
        var row = _links[from] ??= [];
        row[to] = row.GetValueOrDefault(to) + w;
    }

    private void EnsureItem(int item)
    {
        if (item < _links.Length) return;
        int size = Math.Max(item + 1, _links.Length * 2);
        Array.Resize(ref _links, size);
        Array.Resize(ref _scores, size);
        Array.Resize(ref _excluded, size);
    }

    private void EnsureUser(int user)
    {
        if (user < _history.Length) return;
        int size = Math.Max(user + 1, _history.Length * 2);
        Array.Resize(ref _history, size);
        Array.Resize(ref _historyLength, size);
    }
}
