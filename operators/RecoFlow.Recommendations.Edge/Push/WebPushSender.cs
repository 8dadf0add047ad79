using System.Net;
using Lib.Net.Http.WebPush;
using Lib.Net.Http.WebPush.Authentication;
using RecoFlow.Recommendations.Push;

namespace RecoFlow.Recommendations.Edge.Push;

/// <summary>How one push request ended.</summary>
public enum PushOutcome
{
    /// <summary>The push service accepted the message (2xx).</summary>
    Delivered,

    /// <summary>The subscription is gone (404 or 410): the user unsubscribed or it expired.</summary>
    Gone,

    /// <summary>Any other answer, a timeout or a connection failure.</summary>
    Failed,
}

/// <summary>
/// Sends Web Push messages through <c>Lib.Net.Http.WebPush</c>: the payload encrypted with aes128gcm for the
/// subscription's keys (RFC 8291), the request authenticated with VAPID (RFC 8292, <c>Authorization: vapid t=JWT,
/// k=PUBLIC_KEY</c>), under the topic <c>recommendations</c> (so a push service replaces an undelivered older list) with the
/// configured TTL. No retries: a list that did not get through is superseded by the next one. Thread-safe.
/// </summary>
public sealed class WebPushSender : IDisposable
{
    private const string Topic = "recommendations";
    private readonly HttpClient _http;
    private readonly PushServiceClient _client;
    private readonly VapidAuthentication _vapid;
    private readonly int _ttlSeconds;

    public WebPushSender(VapidKeys keys, WebPushOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(10) };
        _vapid = new VapidAuthentication(keys.PublicKey, keys.PrivateKey);
        if (options.VapidSubject is { } subject) _vapid.Subject = subject;
        _client = new PushServiceClient(_http) { DefaultAuthentication = _vapid, DefaultAuthenticationScheme = VapidAuthenticationScheme.Vapid, AutoRetryAfter = false };
        _ttlSeconds = (int)options.TimeToLive.TotalSeconds;
        PublicKey = keys.PublicKey;
    }

    /// <summary>The VAPID public key the requests carry (and pages subscribe with).</summary>
    public string PublicKey { get; }

    /// <summary>Sends <paramref name="payload"/> (UTF-8 text, JSON here) to the subscription; returns how it ended, with the failure's reason.</summary>
    public async Task<(PushOutcome Outcome, string? Reason)> SendAsync(WebPushSubscription subscription, string payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var target = new PushSubscription { Endpoint = subscription.Endpoint };
        target.SetKey(PushEncryptionKeyName.P256DH, subscription.P256dh);
        target.SetKey(PushEncryptionKeyName.Auth, subscription.Auth);
        var message = new PushMessage(payload) { Topic = Topic, TimeToLive = _ttlSeconds, Urgency = PushMessageUrgency.Normal };
        try
        {
            await _client.RequestPushMessageDeliveryAsync(target, message, cancellationToken).ConfigureAwait(false);
            return (PushOutcome.Delivered, null);
        }
        catch (PushServiceClientException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return (PushOutcome.Gone, $"{(int)e.StatusCode}: the subscription is gone");
        }
        catch (PushServiceClientException e)
        {
            return (PushOutcome.Failed, $"{(int)e.StatusCode}: {e.Message}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or ArgumentException)
        {
            return (PushOutcome.Failed, e.Message);
        }
    }

    public void Dispose()
    {
        _vapid.Dispose();
        _http.Dispose();
    }
}
