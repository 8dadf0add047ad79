using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RecoFlow.Recommendations.Push;

namespace RecoFlow.Server.Tests.Push;

/// <summary>
/// The browser's side of a subscription: its P-256 key pair and auth secret (RFC 8291), able to check a push request's
/// VAPID authorization (RFC 8292) and to decrypt its aes128gcm body (RFC 8188) as a browser would.
/// </summary>
public sealed class UserAgent : IDisposable
{
    private readonly ECDiffieHellman _key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly byte[] _auth = RandomNumberGenerator.GetBytes(16);

    public byte[] PublicKey
    {
        get
        {
            var q = _key.ExportParameters(false).Q;
            return [0x04, .. q.X!, .. q.Y!];
        }
    }

    public WebPushSubscription Subscription(string endpoint) => new(endpoint, Base64Url.EncodeToString(PublicKey), Base64Url.EncodeToString(_auth));

    /// <summary>
    /// Checks <c>Authorization: vapid t=JWT, k=KEY</c>: the key is <paramref name="vapidPublicKey"/>, the JWT is ES256,
    /// signed by that key, for the audience <paramref name="audience"/> (the endpoint's scheme and host) and expires within 24 h.
    /// Returns the JWT's claims.
    /// </summary>
    public static JsonElement CheckVapid(string? authorization, string vapidPublicKey, Uri audience)
    {
        Assert.NotNull(authorization);
        Assert.StartsWith("vapid ", authorization, StringComparison.Ordinal);
        var parameters = authorization["vapid ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(vapidPublicKey, parameters["k"]);
        var parts = parameters["t"].Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
        var key = Base64Url.DecodeFromChars(vapidPublicKey);
        using var verifier = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = key[1..33], Y = key[33..] } });
        Assert.True(verifier.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256),
            "the VAPID JWT's signature does not verify with the public key");
        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.Clone();
        // The audience is the push service's origin. Lib.Net.Http.WebPush writes scheme://host without the port: the same
        // origin for the browsers' push services (https on 443), not for a local one on another port.
        Assert.Equal($"{audience.Scheme}://{audience.Host}", claims.GetProperty("aud").GetString());
        var exp = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64());
        Assert.InRange(exp, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(24).AddMinutes(1));
        return claims;
    }

    /// <summary>Decrypts an aes128gcm body (one record) with this subscription's private key and auth secret.</summary>
    public byte[] Decrypt(byte[] body)
    {
        var salt = body[..16];
        var recordSize = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        int idLength = body[20];
        Assert.Equal(65, idLength);
        var serverKey = body[21..(21 + idLength)];
        var record = body[(21 + idLength)..];
        Assert.InRange(record.Length, 17, (int)recordSize);

        using var server = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = serverKey[1..33], Y = serverKey[33..] } });
        var shared = _key.DeriveRawSecretAgreement(server.PublicKey);
        byte[] keyInfo = [.. "WebPush: info\0"u8, .. PublicKey, .. serverKey];
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, _auth, keyInfo);
        var cek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, "Content-Encoding: aes128gcm\0"u8.ToArray());
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, "Content-Encoding: nonce\0"u8.ToArray());
        var plain = new byte[record.Length - 16];
        using (var aes = new AesGcm(cek, 16))
            aes.Decrypt(nonce, record[..^16], record[^16..], plain);
        // Padding: the last record ends with the delimiter 2, then zeros.
        var end = Array.FindLastIndex(plain, b => b != 0);
        Assert.True(end >= 0 && plain[end] == 2, "the last record's padding delimiter is missing");
        return plain[..end];
    }

    public void Dispose() => _key.Dispose();
}
