using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using RecoFlow.Server.Metrics;

namespace RecoFlow.Recommendations.Edge.Push;

/// <summary>
/// The push sink's instrument, <c>recoflow.push.notifications</c> (lists of subscribed users, by outcome: delivered,
/// gone, failed, not_material, socket_open, rate_limited, no_consent, unsubscribe_failed), on the node's meter, and the same counts in
/// memory (<see cref="Count"/>).
/// </summary>
public sealed class PushMetrics(NodeMetrics node)
{
    private readonly Counter<long> _notifications = node.Meter.CreateCounter<long>("recoflow.push.notifications", "{list}", "Lists of users with a Web Push subscription, by outcome");
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string outcome)
    {
        _notifications.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _counts.AddOrUpdate(outcome, 1, (_, n) => n + 1);
    }

    /// <summary>How many lists ended with <paramref name="outcome"/> so far.</summary>
    public long Count(string outcome) => _counts.GetValueOrDefault(outcome);
}
