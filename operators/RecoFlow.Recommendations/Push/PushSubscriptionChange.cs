using System.Text.Json;

namespace RecoFlow.Recommendations.Push;

/// <summary>
/// A user's Web Push subscription as of <see cref="AtMs"/>: a new one, or none (<see cref="Subscription"/> null: the
/// user unsubscribed, or the push service said it is gone). It travels, like an erasure, as a control event through the
/// interactions topic, keyed by the user's pseudonym so it follows the user's events (<see cref="ControlJson"/>):
/// <c>{"push_user": KEY, "ts": MS, "subscription": {"endpoint": URL, "keys": {"p256dh": .., "auth": ..}} | null}</c>.
/// </summary>
public sealed record PushSubscriptionChange(string UserKey, WebPushSubscription? Subscription, long AtMs)
{
    private const string Prefix = "{\"push_user\"";

    /// <summary>The control event of this change (docs/events.md).</summary>
    public string ControlJson() => JsonSerializer.Serialize(new
    {
        push_user = UserKey,
        ts = AtMs,
        subscription = Subscription is { } s ? new { endpoint = s.Endpoint, keys = new { p256dh = s.P256dh, auth = s.Auth } } : null,
    });

    /// <summary>
    /// Recognises <see cref="ControlJson"/>: false for anything else (interactions). A control event whose subscription
    /// does not pass <see cref="WebPushSubscription.TryCreate"/> (http endpoints are let through: the edge checked them
    /// against its own setting) is false too, with <paramref name="error"/> set.
    /// </summary>
    public static bool TryParseControl(string json, out PushSubscriptionChange? change, out string? error)
    {
        change = null;
        error = null;
        if (json is null || !json.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var key = root.GetProperty("push_user").GetString();
            if (string.IsNullOrEmpty(key))
            {
                error = "push_user must be a non-empty string";
                return false;
            }
            var at = root.GetProperty("ts").GetInt64();
            var s = root.GetProperty("subscription");
            if (s.ValueKind == JsonValueKind.Null)
            {
                change = new PushSubscriptionChange(key, null, at);
                return true;
            }
            var keys = s.GetProperty("keys");
            var subscription = WebPushSubscription.TryCreate(s.GetProperty("endpoint").GetString(), keys.GetProperty("p256dh").GetString(),
                keys.GetProperty("auth").GetString(), allowHttp: true, out error);
            if (subscription is null) return false;
            change = new PushSubscriptionChange(key, subscription, at);
            return true;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            error = $"not a push subscription control event: {e.Message}";
            return false;
        }
    }
}
