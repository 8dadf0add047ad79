using System.Text.Json;
using System.Text.Unicode;
using RecoFlow.Recommendations.Push;

namespace RecoFlow.Recommendations.Edge.Push;

/// <summary>
/// The body of <c>POST /push/subscription</c>, validated strictly: a JSON object (at most <see cref="MaxDepth"/> deep)
/// with <c>user_id</c> (a non-empty string), <c>subscription</c> (the browser's <c>PushSubscription.toJSON()</c>:
/// <c>endpoint</c>, <c>keys.p256dh</c>, <c>keys.auth</c> and optionally <c>expirationTime</c>; or null to unsubscribe)
/// and optionally <c>user_token</c>. <see cref="Parse"/> never throws on its input.
/// </summary>
public sealed record PushSubscriptionRequest(string UserId, WebPushSubscription? Subscription, string? UserToken = null)
{
    public const int MaxDepth = 4;

    /// <summary>The request, or (null, the reason it is refused). <paramref name="allowHttp"/>: accept http endpoints too.</summary>
    public static (PushSubscriptionRequest? Request, string? Error) Parse(ReadOnlySpan<byte> body, bool allowHttp)
    {
        if (!Utf8.IsValid(body)) return (null, "body is not valid UTF-8");
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "body must be a JSON object");
            string? user = null, token = null;
            JsonElement? subscription = null;
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "user_id" when user is not null:
                    case "subscription" when subscription is not null:
                    case "user_token" when token is not null:
                        return (null, $"duplicate field '{p.Name}'");
                    case "user_id":
                        if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                            return (null, "user_id (a non-empty string) is required");
                        user = p.Value.GetString();
                        break;
                    case "user_token":
                        if (p.Value.ValueKind != JsonValueKind.String) return (null, "user_token must be a string");
                        token = p.Value.GetString();
                        break;
                    case "subscription":
                        if (p.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                            return (null, "subscription must be an object (endpoint, keys) or null");
                        subscription = p.Value.Clone();
                        break;
                    default:
                        return (null, $"unknown field '{p.Name}': the body has user_id, subscription and user_token only");
                }
            }
            if (user is null) return (null, "user_id (a non-empty string) is required");
            if (subscription is not { } s) return (null, "subscription (an object, or null to unsubscribe) is required");
            if (s.ValueKind == JsonValueKind.Null) return (new PushSubscriptionRequest(user, null, token), null);
            var (sub, error) = ParseSubscription(s, allowHttp);
            return sub is null ? (null, error) : (new PushSubscriptionRequest(user, sub, token), null);
        }
        catch (JsonException e)
        {
            return (null, $"body is not JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            return (null, $"body is not valid JSON text: {e.Message}");
        }
    }

    private static (WebPushSubscription?, string?) ParseSubscription(JsonElement s, bool allowHttp)
    {
        string? endpoint = null, p256dh = null, auth = null;
        foreach (var p in s.EnumerateObject())
        {
            switch (p.Name)
            {
                case "endpoint":
                    if (p.Value.ValueKind != JsonValueKind.String) return (null, "subscription.endpoint must be a string");
                    endpoint = p.Value.GetString();
                    break;
                case "expirationTime":
                    if (p.Value.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null)) return (null, "subscription.expirationTime must be a number or null");
                    break;
                case "keys":
                    if (p.Value.ValueKind != JsonValueKind.Object) return (null, "subscription.keys must be an object (p256dh, auth)");
                    foreach (var k in p.Value.EnumerateObject())
                    {
                        if (k.Value.ValueKind != JsonValueKind.String) return (null, $"subscription.keys.{k.Name} must be a string");
                        if (k.Name == "p256dh") p256dh = k.Value.GetString();
                        else if (k.Name == "auth") auth = k.Value.GetString();
                        else return (null, $"unknown field 'subscription.keys.{k.Name}': the keys are p256dh and auth");
                    }
                    break;
                default:
                    return (null, $"unknown field 'subscription.{p.Name}': a subscription has endpoint, expirationTime and keys");
            }
        }
        var sub = WebPushSubscription.TryCreate(endpoint, p256dh, auth, allowHttp, out var error);
        return sub is null ? (null, "subscription." + error) : (sub, null);
    }
}
