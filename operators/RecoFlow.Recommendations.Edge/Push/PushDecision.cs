namespace RecoFlow.Recommendations.Edge.Push;

/// <summary>What <see cref="PushDecision"/> decided for one new list.</summary>
public enum PushVerdict
{
    /// <summary>Notify the user (recorded: the next one waits for the interval).</summary>
    Push,

    /// <summary>The top item is (nearly) the same as before.</summary>
    NotMaterial,

    /// <summary>The user has a page open: the WebSocket shows the list.</summary>
    SocketOpen,

    /// <summary>The user was notified less than the interval ago.</summary>
    RateLimited,
}

/// <summary>
/// Whether a user's new list is worth a push notification: its top item changed materially (it is not among the
/// previous list's first <see cref="MaterialTop"/> items; a first list counts as a change), the user has no open
/// WebSocket, and the user was not notified in the last <see cref="MinInterval"/>. The times of the latest
/// notifications are kept in memory (at most one per user, older than the interval pruned). Thread-safe.
/// </summary>
public sealed class PushDecision(int materialTop, TimeSpan minInterval, TimeProvider? time = null)
{
    private const int PruneAbove = 10_000;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, long> _lastPush = new(StringComparer.Ordinal);

    public int MaterialTop { get; } = materialTop > 0 ? materialTop : throw new ArgumentOutOfRangeException(nameof(materialTop), "at least 1");
    public TimeSpan MinInterval { get; } = minInterval >= TimeSpan.Zero ? minInterval : throw new ArgumentOutOfRangeException(nameof(minInterval), "not negative");

    /// <summary>True when <paramref name="current"/>'s top item is not among <paramref name="previous"/>'s first <paramref name="top"/>.</summary>
    public static bool IsMaterialChange(IReadOnlyList<string> previous, IReadOnlyList<string> current, int top)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        if (current.Count == 0) return false;
        for (var i = 0; i < Math.Min(top, previous.Count); i++)
            if (string.Equals(previous[i], current[0], StringComparison.Ordinal)) return false;
        return true;
    }

    /// <summary>Decides for <paramref name="user"/>'s new list; a <see cref="PushVerdict.Push"/> is recorded as the user's latest notification.</summary>
    public PushVerdict Decide(string user, IReadOnlyList<string> previous, IReadOnlyList<string> current, bool socketOpen)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!IsMaterialChange(previous, current, MaterialTop)) return PushVerdict.NotMaterial;
        if (socketOpen) return PushVerdict.SocketOpen;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var interval = (long)MinInterval.TotalMilliseconds;
        lock (_lastPush)
        {
            if (_lastPush.TryGetValue(user, out var last) && now - last < interval) return PushVerdict.RateLimited;
            if (_lastPush.Count >= PruneAbove)
                foreach (var (u, at) in _lastPush.ToList())
                    if (now - at >= interval) _lastPush.Remove(u);
            _lastPush[user] = now;
        }
        return PushVerdict.Push;
    }

    /// <summary>Forgets the user's latest notification (their subscription is gone, or they were erased).</summary>
    public void Forget(string user)
    {
        lock (_lastPush) _lastPush.Remove(user);
    }
}
