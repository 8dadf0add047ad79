using RecoFlow.Api.Connectors;
using RecoFlow.Recommendations.Edge.Consent;

namespace RecoFlow.Recommendations.Edge.Delivery;

/// <summary>
/// A job sink that publishes each user's new list to the node's <see cref="IRecommendationFeed"/> (and so to their
/// open WebSockets). Lists of users who opted out on this node are not published: they get the popular list the
/// consent endpoint pushed. <paramref name="published"/> observes each published record (latency probes, summaries).
/// </summary>
public sealed class FeedSink<T>(IRecommendationFeed feed, ConsentRegistry consent, Func<T, string> userKey, Func<T, string?> json, Action<T>? published = null) : ISink<T>
{
    public ISinkWriter<T> CreateWriter(SinkContext context) => new Writer(feed, consent, userKey, json, published);

    public string Describe() => "recommendation feed (WebSocket push)";

    private sealed class Writer(IRecommendationFeed feed, ConsentRegistry consent, Func<T, string> userKey, Func<T, string?> json, Action<T>? published) : ISinkWriter<T>
    {
        public void Write(T value, long timestamp)
        {
            var user = userKey(value);
            if (consent.IsOptedOut(user)) return;
            if (json(value) is not { } text) return;
            feed.Publish(user, text);
            published?.Invoke(value);
        }

        public void Flush(bool endOfInput) { }
        public void Dispose() { }
    }
}
