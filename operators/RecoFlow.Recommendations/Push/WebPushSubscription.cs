using System.Buffers.Text;

namespace RecoFlow.Recommendations.Push;

/// <summary>
/// A browser's Web Push subscription (the Push API's <c>PushSubscription</c>): the push service endpoint to POST to
/// (RFC 8030) and the user agent's keys for message encryption (RFC 8291): <see cref="P256dh"/>, its P-256 public key
/// (65 bytes, uncompressed point) and <see cref="Auth"/>, its 16-byte authentication secret, both base64url as the
/// browser gives them. Build one through <see cref="TryCreate"/>, which checks all three.
/// </summary>
public sealed record WebPushSubscription(string Endpoint, string P256dh, string Auth)
{
    /// <summary>Longest accepted endpoint URL (push services use a few hundred characters).</summary>
    public const int MaxEndpointLength = 2048;

    /// <summary>
    /// The subscription, or null and the reason it is refused: the endpoint must be an absolute https URL (http too with
    /// <paramref name="allowHttp"/>: a local push service), at most <see cref="MaxEndpointLength"/> characters; p256dh an
    /// uncompressed P-256 point (65 bytes starting 0x04) and auth 16 bytes, both base64url.
    /// </summary>
    public static WebPushSubscription? TryCreate(string? endpoint, string? p256dh, string? auth, bool allowHttp, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(endpoint) || endpoint.Length > MaxEndpointLength
            || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || !(uri.Scheme == Uri.UriSchemeHttps || (allowHttp && uri.Scheme == Uri.UriSchemeHttp))
            || !string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment))
        {
            error = allowHttp
                ? $"endpoint must be an absolute http(s) URL of at most {MaxEndpointLength} characters, without user info or fragment"
                : $"endpoint must be an absolute https URL of at most {MaxEndpointLength} characters, without user info or fragment";
            return null;
        }
        if (Decode(p256dh) is not { Length: 65 } point || point[0] != 0x04)
        {
            error = "keys.p256dh must be the base64url of an uncompressed P-256 public key (65 bytes)";
            return null;
        }
        if (Decode(auth) is not { Length: 16 })
        {
            error = "keys.auth must be the base64url of a 16-byte secret";
            return null;
        }
        return new WebPushSubscription(endpoint, p256dh!, auth!);
    }

    /// <summary>The bytes of a base64url string (padding tolerated), or null when it is not one.</summary>
    public static byte[]? Decode(string? base64Url)
    {
        if (string.IsNullOrEmpty(base64Url) || base64Url.Length > 256) return null;
        var trimmed = base64Url.TrimEnd('=');
        if (!Base64Url.IsValid(trimmed, out var length)) return null;
        var bytes = new byte[length];
        return Base64Url.TryDecodeFromChars(trimmed, bytes, out var written) && written == length ? bytes : null;
    }
}
