using System.Security.Cryptography;
using System.Text;

namespace RecoFlow.Recommendations.Privacy;

/// <summary>
/// Replaces user ids by a keyed hash: token = base64url(HMAC-SHA256(key, UTF-8(user id))) without padding
/// (43 characters). The same key always gives the same token; without the key the mapping cannot be recomputed or
/// inverted. Stateless apart from the key (which is configuration, not checkpointed state). Thread-safe.
/// </summary>
public sealed class Pseudonymizer
{
    private readonly byte[] _key;

    public Pseudonymizer(ReadOnlySpan<byte> key)
    {
        if (key.Length < 16) throw new ArgumentException("use a key of at least 16 bytes", nameof(key));
        _key = key.ToArray();
    }

    public string Pseudonymize(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        Span<byte> mac = stackalloc byte[32];
        byte[] data = Encoding.UTF8.GetBytes(userId);
        HMACSHA256.HashData(_key, data, mac);
        return Base64Url(mac);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes)
    {
        string b64 = Convert.ToBase64String(bytes);
        return b64.TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
