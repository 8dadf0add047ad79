using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RecoFlow.Cli;

/// <summary>
/// <c>recoflow dev-cert --out DIR</c>: a self-signed certificate for Akka.Remote over TLS in development
/// (cluster-config/tls.conf). Writes DIR/recoflow-dev.pfx (certificate and private key, password protected) and
/// DIR/recoflow-dev.crt (the certificate alone, PEM). Never use it in production: anyone with the file is trusted.
/// </summary>
public static class DevCertCommand
{
    /// <summary>Password of the development PFX; tls.conf names it. It protects nothing: the file is for development.</summary>
    public const string DevPassword = "recoflow-dev";

    public static Command Create(TextWriter output)
    {
        var outDir = new Option<string>("--out") { Description = "directory to write recoflow-dev.pfx and recoflow-dev.crt to", Required = true };
        var days = new Option<int>("--days") { Description = "validity in days", DefaultValueFactory = _ => 365 };
        var hosts = new Option<string[]>("--host") { Description = "extra DNS name or IP address the certificate is valid for (repeatable; localhost and 127.0.0.1 are always in)", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command("dev-cert", "generate a self-signed development certificate for Akka.Remote TLS (see cluster-config/tls.conf)") { outDir, days, hosts };
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(outDir)!;
            var validity = r.GetValue(days);
            if (validity < 1) throw new UsageException("--days must be at least 1");
            Directory.CreateDirectory(dir);
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=recoflow-dev", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            foreach (var h in r.GetValue(hosts) ?? [])
            {
                if (IPAddress.TryParse(h, out var ip)) san.AddIpAddress(ip);
                else san.AddDnsName(h);
            }
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            // Both server and client authentication: Akka.Remote's TLS is mutual by default.
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(validity));
            var pfx = Path.Combine(dir, "recoflow-dev.pfx");
            var crt = Path.Combine(dir, "recoflow-dev.crt");
            File.WriteAllBytes(pfx, cert.Export(X509ContentType.Pfx, DevPassword));
            File.WriteAllText(crt, cert.ExportCertificatePem());
            output.WriteLine($"wrote {pfx} (password '{DevPassword}') and {crt}; thumbprint {cert.Thumbprint}, valid until {cert.NotAfter:yyyy-MM-dd}");
            return 0;
        });
        return cmd;
    }
}
