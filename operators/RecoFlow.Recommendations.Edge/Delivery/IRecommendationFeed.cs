using System.Collections.Concurrent;
using System.Threading.Channels;

namespace RecoFlow.Recommendations.Edge.Delivery;

/// <summary>
/// The latest recommendation list per user, and live subscriptions to new ones. Keys are the user ids the
/// recommendation job sees: pseudonyms (the HTTP endpoints pseudonymise the id a page sends). Lists are opaque JSON.
/// </summary>
public interface IRecommendationFeed
{
    void Publish(string userId, string json);
    string? Latest(string userId);

    /// <summary>
    /// Subscribes to the user's lists: the reader gets the latest list at once (when there is one), then each new one.
    /// A slow reader loses the oldest unread lists, never the newest. Dispose the subscription to end it.
    /// </summary>
    IRecommendationSubscription Subscribe(string userId);

    /// <summary>How many live subscriptions (open WebSockets) the user has on this feed.</summary>
    int SubscriberCount(string userId);
}

public interface IRecommendationSubscription : IDisposable
{
    ChannelReader<string> Lists { get; }
}

/// <summary>In-memory feed with a subscriber set per user. Thread-safe.</summary>
public sealed class InMemoryRecommendationFeed : IRecommendationFeed
{
    private const int Buffered = 8;
    private readonly ConcurrentDictionary<string, UserEntry> _users = new(StringComparer.Ordinal);

    public int SubscriberCount(string userId) => _users.TryGetValue(userId, out var u) ? u.Count : 0;

    public void Publish(string userId, string json)
    {
        var user = _users.GetOrAdd(userId, _ => new UserEntry());
        lock (user)
        {
            user.Latest = json;
            foreach (var s in user.Subscribers) s.Writer.TryWrite(json);
        }
    }

    public string? Latest(string userId) => _users.TryGetValue(userId, out var u) ? Volatile.Read(ref u.Latest) : null;

    public IRecommendationSubscription Subscribe(string userId)
    {
        var user = _users.GetOrAdd(userId, _ => new UserEntry());
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(Buffered) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (user)
        {
            // Under the user's lock, so no list published meanwhile can arrive before (and be overtaken by) the latest.
            if (user.Latest is { } latest) channel.Writer.TryWrite(latest);
            user.Subscribers.Add(channel);
        }
        return new Subscription(channel, () =>
        {
            lock (user) user.Subscribers.Remove(channel);
            channel.Writer.TryComplete();
        });
    }

    private sealed class UserEntry
    {
        public string? Latest;
        public readonly HashSet<Channel<string>> Subscribers = [];
        public int Count { get { lock (this) return Subscribers.Count; } }
    }

    private sealed class Subscription(Channel<string> channel, Action dispose) : IRecommendationSubscription
    {
        private int _disposed;
        public ChannelReader<string> Lists => channel.Reader;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) dispose();
        }
    }
}
