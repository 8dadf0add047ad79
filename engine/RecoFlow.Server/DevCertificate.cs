using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RecoFlow.Server;

/// <summary>Certificates for HTTPS: a PFX file, or a self-signed development certificate for localhost made in memory.</summary>
public static class DevCertificate
{
    public static X509Certificate2 Load(string pfxPath, string? password)
    {
        if (!File.Exists(pfxPath)) throw new ArgumentException($"HTTPS certificate file not found: {pfxPath}");
        return X509CertificateLoader.LoadPkcs12FromFile(pfxPath, string.IsNullOrEmpty(password) ? null : password);
    }

    /// <summary>A self-signed certificate for localhost, 127.0.0.1 and ::1, valid for 30 days. Browsers warn about it.</summary>
    public static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost (RecoFlow development)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
