using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RecoFlow.Connectors.Http;

/// <summary>
/// How a <see cref="WebhookSink{T}"/> signs a request, and how a receiver checks it: header
/// <see cref="TimestampHeader"/> holds the Unix seconds of the attempt, and <see cref="SignatureHeader"/> holds
/// <c>sha256=HEX</c>, HEX being lower-case hex of HMAC-SHA256(secret, TIMESTAMP + "." + BODY). Receivers should refuse
/// timestamps far from their clock (replays) and deduplicate by <see cref="DeliveryHeader"/> (a retried record keeps
/// its delivery id: delivery is at least once).
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-RecoFlow-Signature";
    public const string TimestampHeader = "X-RecoFlow-Timestamp";
    public const string DeliveryHeader = "X-RecoFlow-Delivery";

    public static string Sign(byte[] secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, message));
    }

    /// <summary>True when <paramref name="signature"/> is the signature of <paramref name="body"/> at <paramref name="timestamp"/> (compared in constant time).</summary>
    public static bool Verify(byte[] secret, string? timestamp, string? signature, ReadOnlySpan<byte> body)
    {
        if (signature is null || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, seconds, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}
