using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RecoFlow.Recommendations.Push;

namespace RecoFlow.Server.Tests.Push;

/// <summary>
/// A push service on loopback standing in for the browser vendors' ones (which cannot be reached here): Kestrel on a
/// free port accepting POST /push/{id} (RFC 8030), answering <see cref="Status"/> (201 by default). Each request is
/// kept with its headers and body for the test to check with <see cref="UserAgent"/>.
/// </summary>
public sealed class LocalPushService : IAsyncDisposable
{
    public sealed record Request(string Path, string? Authorization, string? Ttl, string? Topic, string? ContentEncoding, byte[] Body);

    private readonly WebApplication _app;
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>();

    private LocalPushService(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>The status the next requests get (201 Created: accepted for delivery).</summary>
    public int Status { get; set; } = StatusCodes.Status201Created;

    public static async Task<LocalPushService> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var service = new LocalPushService(builder.Build());
        service._app.MapPost("/push/{id}", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var h = http.Request.Headers;
            await service._requests.Writer.WriteAsync(new Request(http.Request.Path, h.Authorization.ToString(), h["TTL"].ToString(), h["Topic"].ToString(),
                h.ContentEncoding.ToString(), body.ToArray()));
            return Results.StatusCode(service.Status);
        });
        await service._app.StartAsync();
        service.Url = new Uri(service._app.Urls.Single());
        return service;
    }

    /// <summary>The endpoint of a subscription on this service.</summary>
    public string Endpoint(string id) => new Uri(Url, "/push/" + id).ToString();

    /// <summary>The next request received, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<Request> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try { return await _requests.Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException("the push service received no request in time"); }
    }

    /// <summary>A request received so far and not yet read, or null.</summary>
    public Request? TryNext() => _requests.Reader.TryRead(out var r) ? r : null;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

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
