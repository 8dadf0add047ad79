using System.Text.Json;

namespace RecoFlow.Recommendations.Edge.Delivery;

/// <summary>
/// The non-personalised fallback: items by decayed count of accepted events on this node (half-life one minute).
/// Served to users who opted out of personalisation. Thread-safe.
/// </summary>
public sealed class PopularItems(TimeProvider? time = null)
{
    private static readonly double HalfLifeMs = TimeSpan.FromMinutes(1).TotalMilliseconds;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, double> _scores = new(StringComparer.Ordinal);
    private readonly long _origin = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();

    public void Add(string itemId)
    {
        // Forward decay: weights grow with time instead of old ones shrinking; rebased well before overflow.
        double w = Math.Pow(2, (_time.GetUtcNow().ToUnixTimeMilliseconds() - _origin) / HalfLifeMs);
        lock (_scores) _scores[itemId] = _scores.GetValueOrDefault(itemId) + w;
    }

    public IReadOnlyList<string> Top(int k)
    {
        lock (_scores) return _scores.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(k).Select(p => p.Key).ToList();
    }

    /// <summary>The list pushed to an opted-out user, shaped like the job's lists with <c>personalized: false</c>.</summary>
    public string ListJson(string userKey, int k) => JsonSerializer.Serialize(new
    {
        user_id = userKey,
        items = Top(k),
        personalized = false,
        trigger = "popular",
        published_ms = _time.GetUtcNow().ToUnixTimeMilliseconds(),
    });
}
