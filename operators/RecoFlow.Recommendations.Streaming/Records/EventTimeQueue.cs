namespace RecoFlow.Recommendations.Streaming.Records;

/// <summary>
/// The order in which the recommendation operators take their input with event-time order on: by event time, then by
/// user key (ordinal), then in arrival order. A user's records come through one upstream task, in order, so only
/// records of different users interleave differently from run to run, and this order does not depend on it.
/// </summary>
public static class EventTimeQueue
{
    /// <summary>
    /// Splits <paramref name="waiting"/> (in arrival order) into the records at or before <paramref name="watermark"/>,
    /// in event-time order, and the others, still in arrival order.
    /// </summary>
    public static (List<T> Due, List<T> Later) Split<T>(List<T> waiting, long watermark, Func<T, long> time, Func<T, string> user)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(user);
        var due = new List<T>();
        var rest = new List<T>();
        foreach (var r in waiting) (time(r) <= watermark ? due : rest).Add(r);
        // OrderBy is stable: records of one user and time keep their arrival order.
        return (due.Count < 2 ? due : [.. due.OrderBy(time).ThenBy(user, StringComparer.Ordinal)], rest);
    }
}
