using System.Buffers.Text;
using System.Security.Cryptography;
using RecoFlow.Recommendations.Push;

namespace RecoFlow.Recommendations.Edge.Push;

/// <summary>
/// The application server's VAPID key pair (RFC 8292): an ECDSA P-256 key, both halves base64url as Web Push uses
/// them. The public key is what a page passes to <c>pushManager.subscribe</c> (<c>GET /push/key</c>); the private key
/// signs the JWT of each push request and never leaves the node.
/// </summary>
public sealed record VapidKeys(string PublicKey, string PrivateKey)
{
    /// <summary>A new key pair (for development: subscriptions made with it end with the process).</summary>
    public static VapidKeys Generate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(includePrivateParameters: true);
        return new VapidKeys(Base64Url.EncodeToString([0x04, .. p.Q.X!, .. p.Q.Y!]), Base64Url.EncodeToString(p.D!));
    }

    /// <summary>The configured pair, checked (a P-256 point and scalar that belong together), or a generated one when neither is given.</summary>
    public static VapidKeys From(WebPushOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.VapidPublicKey is null && options.VapidPrivateKey is null) return Generate();
        var keys = new VapidKeys(options.VapidPublicKey ?? "", options.VapidPrivateKey ?? "");
        keys.Check();
        return keys;
    }

    private void Check()
    {
        if (WebPushSubscription.Decode(PublicKey) is not { Length: 65 } q || q[0] != 0x04)
            throw new ArgumentException("recoflow.http.push.vapid-public-key must be the base64url of an uncompressed P-256 point (65 bytes)");
        if (WebPushSubscription.Decode(PrivateKey) is not { Length: 32 } d)
            throw new ArgumentException("recoflow.http.push.vapid-private-key must be the base64url of a P-256 private key (32 bytes)");
        var point = new ECPoint { X = q[1..33], Y = q[33..] };
        try
        {
            using var signer = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = point, D = d });
            using var verifier = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = point });
            byte[] probe = [1, 2, 3];
            if (!verifier.VerifyData(probe, signer.SignData(probe, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256))
                throw new ArgumentException("recoflow.http.push: vapid-private-key does not belong to vapid-public-key");
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"recoflow.http.push: the VAPID keys are not a P-256 key pair ({e.Message})", e);
        }
    }
}
