using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The list served before the first model version reaches a scoring subtask: the items most often chosen positively
/// in the events this subtask has seen so far, then the catalogue's items in catalogue order, never the user's own
/// positives or (with <see cref="ScoringOptions.ExcludeSeen"/>) the items the user saw. So a fresh job's first users
/// get the current popular items, never nothing. Transient (the first version replaces it within one publish interval
/// of event time); one per scoring subtask.
/// </summary>
public sealed class ColdStartList(ItemCatalog catalog, int keep = 100)
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly List<string> _top = [];
    private string[]? _catalogOrder;

    /// <summary>Counts a positive event on <paramref name="item"/>.</summary>
    public void Count(string item)
    {
        ArgumentNullException.ThrowIfNull(item);
        int n = _counts.TryGetValue(item, out int c) ? c + 1 : 1;
        _counts[item] = n;
        int at = _top.IndexOf(item);
        if (at < 0)
        {
            if (_top.Count >= keep && n <= _counts[_top[^1]]) return;
            if (_top.Count >= keep) _top.RemoveAt(_top.Count - 1);
            _top.Add(item);
            at = _top.Count - 1;
        }
        while (at > 0 && _counts[_top[at - 1]] < n)
        {
            (_top[at], _top[at - 1]) = (_top[at - 1], _top[at]);
            at--;
        }
    }

    /// <summary>Up to <paramref name="k"/> items for <paramref name="user"/>, most popular first.</summary>
    public (string[] Items, float[] Scores) For(UserScoringState user, int k, bool excludeSeen)
    {
        ArgumentNullException.ThrowIfNull(user);
        var items = new List<string>(k);
        var scores = new List<float>(k);
        bool Allowed(string id) => !user.Positives.Contains(id) && !(excludeSeen && user.Seen.Contains(id)) && !items.Contains(id);
        foreach (var id in _top)
        {
            if (items.Count == k) break;
            if (!Allowed(id)) continue;
            items.Add(id);
            scores.Add(_counts[id]);
        }
        if (items.Count < k)
        {
            _catalogOrder ??= [.. catalog.Items.Select(i => i.Id)];
            foreach (var id in _catalogOrder)
            {
                if (items.Count == k) break;
                if (!Allowed(id)) continue;
                items.Add(id);
                scores.Add(0);
            }
        }
        return ([.. items], [.. scores]);
    }

    /// <summary>
    /// A list shorter than <paramref name="k"/> (a young model knows few items) filled up from <see cref="For"/>, each
    /// added item scored below the list's lowest score.
    /// </summary>
    public (string[] Items, float[] Scores) FillUp(string[] items, float[] scores, UserScoringState user, int k, bool excludeSeen)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(scores);
        var (extra, _) = For(user, k + items.Length, excludeSeen);
        var allItems = new List<string>(items);
        var allScores = new List<float>(scores);
        float floor = scores.Length > 0 ? scores.Min() : 0;
        for (int j = 0; j < extra.Length && allItems.Count < k; j++)
        {
            if (Array.IndexOf(items, extra[j]) >= 0) continue;
            allItems.Add(extra[j]);
            allScores.Add(floor - 1 - j);
        }
        return ([.. allItems], [.. allScores]);
    }
}
