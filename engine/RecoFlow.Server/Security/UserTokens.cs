using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RecoFlow.Server.Security;

/// <summary>Outcome of checking a user token against the user it is presented for.</summary>
public enum UserTokenCheck
{
    Valid,

    /// <summary>No token was presented.</summary>
    Missing,

    /// <summary>Not of the form EXPIRY.SIG (EXPIRY: decimal Unix seconds, SIG: base64url without padding).</summary>
    Malformed,

    /// <summary>The signature does not match: a token of another user, or signed with another secret.</summary>
    WrongSignature,

    /// <summary>Correctly signed for this user, but its expiry has passed.</summary>
    Expired,
}

/// <summary>
/// Signed user tokens: <c>EXPIRY.SIG</c>, where EXPIRY is Unix seconds and SIG is base64url (no padding) of
/// HMAC-SHA256(secret, UTF-8 "USER_ID.EXPIRY"). A shop's backend (which knows who its visitor is) issues one; the node
/// checks it with the same secret (<c>recoflow.http.user-secret</c>) before serving that user's data or taking events
/// in that user's name. Signatures are compared in fixed time.
/// </summary>
public sealed class UserTokens
{
    /// <summary>Fewer bytes of secret than this are refused.</summary>
    public const int MinSecretBytes = 16;

    /// <summary>The header a token may be sent in (or the query parameter / body field <see cref="Field"/>).</summary>
    public const string Header = "X-RecoFlow-User-Token";
    public const string Field = "user_token";

    private readonly byte[] _secret;

    public UserTokens(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        _secret = Encoding.UTF8.GetBytes(secret);
        if (_secret.Length < MinSecretBytes) throw new ArgumentException($"the user secret must be at least {MinSecretBytes} bytes of UTF-8", nameof(secret));
    }

    /// <summary>A token proving <paramref name="userId"/> until <paramref name="expiry"/> (whole seconds).</summary>
    public string Issue(string userId, DateTimeOffset expiry)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var seconds = expiry.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return seconds + "." + Signature(userId, seconds);
    }

    /// <summary>Checks <paramref name="token"/> for <paramref name="userId"/> at <paramref name="now"/>. A token expiring at second E is valid while now &lt; E.</summary>
    public UserTokenCheck Verify(string userId, string? token, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(userId);
        if (string.IsNullOrEmpty(token)) return UserTokenCheck.Missing;
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == token.Length - 1) return UserTokenCheck.Malformed;
        var expiryText = token[..dot];
        // Canonical decimal only (no sign, no leading zeros), so one expiry has one signed form.
        if (!long.TryParse(expiryText, NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)
            || expiry.ToString(CultureInfo.InvariantCulture) != expiryText) return UserTokenCheck.Malformed;
        var presented = Encoding.ASCII.GetBytes(token[(dot + 1)..]);
        var expected = Encoding.ASCII.GetBytes(Signature(userId, expiryText));
        if (!CryptographicOperations.FixedTimeEquals(presented, expected)) return UserTokenCheck.WrongSignature;
        return now.ToUnixTimeSeconds() < expiry ? UserTokenCheck.Valid : UserTokenCheck.Expired;
    }

    private string Signature(string userId, string expiry)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(userId + "." + expiry));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Parses a lifetime such as 90s, 30m, 1h or 2d (a positive whole number and one unit).</summary>
    public static bool TryParseTtl(string? text, out TimeSpan ttl)
    {
        ttl = default;
        if (string.IsNullOrEmpty(text) || text.Length < 2) return false;
        if (!int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0) return false;
        ttl = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.Zero,
        };
        return ttl > TimeSpan.Zero;
    }
}
