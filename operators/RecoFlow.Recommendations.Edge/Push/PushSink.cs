using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using RecoFlow.Api.Connectors;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Consent;
using RecoFlow.Recommendations.Edge.Delivery;
using RecoFlow.Recommendations.Push;

namespace RecoFlow.Recommendations.Edge.Push;

/// <summary>
/// The job sink of push candidates (<see cref="PushCandidate"/>): skips users who opted out, asks
/// <see cref="PushDecision"/> (top item changed materially, no open WebSocket on this node's feed, not notified within
/// the interval) and sends the notification through <see cref="WebPushSender"/> off the task thread, at most
/// <see cref="WebPushOptions.MaxInFlight"/> at once per task. When the push service says the subscription is gone, it
/// publishes the unsubscription to the interactions topic (keyed by the user), so the job drops it from keyed state.
/// At most once: a notification that failed is not retried (the next material change makes another), and a flush
/// (checkpoint, end of input) waits for the ones in flight. The payload is
/// <c>{"items": [...], "titles": [...], "model_version", "event_ts"}</c>: the new list's first
/// <see cref="PayloadItems"/> items, with their titles when <paramref name="itemTitle"/> knows them.
/// </summary>
public sealed class PushSink(WebPushSender sender, PushDecision decision, IRecommendationFeed feed, ConsentRegistry consent, IEventPublisher publisher,
    string interactionsTopic, PushMetrics metrics, int maxInFlight, Func<string, string?>? itemTitle = null) : ISink<PushCandidate>
{
    /// <summary>How many of the new list's items a notification carries.</summary>
    public const int PayloadItems = 5;

    private readonly WebPushSender _sender = sender;
    private readonly PushDecision _decision = decision;
    private readonly IRecommendationFeed _feed = feed;
    private readonly ConsentRegistry _consent = consent;
    private readonly IEventPublisher _publisher = publisher;
    private readonly string _topic = interactionsTopic;
    private readonly PushMetrics _metrics = metrics;
    private readonly int _maxInFlight = maxInFlight > 0 ? maxInFlight : throw new ArgumentOutOfRangeException(nameof(maxInFlight), "at least 1");

    public ISinkWriter<PushCandidate> CreateWriter(SinkContext context) => new Writer(this);

    public string Describe() => "Web Push notifications (VAPID, aes128gcm)";

    /// <summary>The notification's JSON for <paramref name="c"/>.</summary>
    public string Payload(PushCandidate c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var items = c.Items.Take(PayloadItems).ToArray();
        return JsonSerializer.Serialize(new
        {
            items,
            titles = itemTitle is null ? null : items.Select(i => itemTitle(i) ?? i).ToArray(),
            model_version = c.ModelVersion,
            event_ts = c.EventTimestampMs,
        });
    }

    private sealed class Writer(PushSink sink) : ISinkWriter<PushCandidate>
    {
        private readonly SemaphoreSlim _window = new(sink._maxInFlight);
        private readonly ConcurrentDictionary<long, Task> _pending = new();
        private long _next;

        public void Write(PushCandidate value, long timestamp)
        {
            if (sink._consent.IsOptedOut(value.UserKey))
            {
                sink._metrics.Add("no_consent");
                return;
            }
            var verdict = sink._decision.Decide(value.UserKey, value.PreviousItems, value.Items, sink._feed.SubscriberCount(value.UserKey) > 0);
            if (verdict != PushVerdict.Push)
            {
                sink._metrics.Add(verdict switch
                {
                    PushVerdict.NotMaterial => "not_material",
                    PushVerdict.SocketOpen => "socket_open",
                    _ => "rate_limited",
                });
                return;
            }
            var payload = sink.Payload(value);
            _window.Wait();
            var n = _next++;
            _pending[n] = Task.Run(async () =>
            {
                try { await SendAsync(value, payload).ConfigureAwait(false); }
                finally
                {
                    _window.Release();
                    _pending.TryRemove(n, out _);
                }
            });
        }

        private async Task SendAsync(PushCandidate c, string payload)
        {
            var (outcome, _) = await sink._sender.SendAsync(c.Subscription, payload, CancellationToken.None).ConfigureAwait(false);
            sink._metrics.Add(outcome switch
            {
                PushOutcome.Delivered => "delivered",
                PushOutcome.Gone => "gone",
                _ => "failed",
            });
            if (outcome != PushOutcome.Gone) return;
            sink._decision.Forget(c.UserKey);
            var gone = new PushSubscriptionChange(c.UserKey, null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            try
            {
                await sink._publisher.PublishAsync(sink._topic, [new CapturedEvent(c.UserKey, Encoding.UTF8.GetBytes(gone.ControlJson()))], CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The job keeps the dead subscription; the next push to it ends here again.
                sink._metrics.Add("unsubscribe_failed");
            }
        }

        public void Flush(bool endOfInput) => Task.WaitAll([.. _pending.Values]);

        public void Dispose()
        {
            Flush(true);
            _window.Dispose();
        }
    }
}
