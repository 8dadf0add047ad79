using Akka.Configuration;
using RecoFlow.Runtime;

namespace RecoFlow.Server;

/// <summary>
/// Settings of a node's HTTP layer, read from <c>recoflow.http</c> (defaults in the embedded http.conf). Modules plugged
/// into the node (<see cref="INodeModule"/>) read their own keys from the same section.
/// </summary>
public sealed record NodeServerOptions
{
    /// <summary>The embedded http.conf: the one place the defaults live.</summary>
    public static Config DefaultConfig { get; } = EmbeddedResources.ReadConfig(typeof(NodeServerOptions).Assembly, "RecoFlow.Server.http.conf");

    /// <summary>Name of this node as shown by the API and the dashboard.</summary>
    public string NodeName { get; init; } = Environment.MachineName;

    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port; <see cref="NodeHttpServer.Url"/> tells which.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Bearer token required for writes; null or empty turns security off.</summary>
    public string? Token { get; init; }

    /// <summary>True when <see cref="From"/> generated <see cref="Token"/> because none was configured; the host should print it.</summary>
    public bool TokenGenerated { get; init; }

    /// <summary>
    /// The publishable collect key: accepted by POST /collect and POST /consent only, never by an admin write. Null with
    /// no admin token either: capture is open.
    /// </summary>
    public string? CollectKey { get; init; }

    /// <summary>True when <see cref="From"/> generated <see cref="CollectKey"/> because none was configured; the host should print it.</summary>
    public bool CollectKeyGenerated { get; init; }

    /// <summary>Secret of the user tokens (<see cref="Security.UserTokens"/>); null: user ids are taken as the client gives them.</summary>
    public string? UserSecret { get; init; }

    /// <summary>Addresses and CIDR networks of the reverse proxies whose X-Forwarded-For is honoured (<see cref="Security.TrustedProxies"/>).</summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    /// <summary>Serve HTTPS with this certificate (a PFX file, or <see cref="DevCertificate"/>); null: plain HTTP.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Largest <c>POST /api/jobs</c> body in bytes (the base64 of a job assembly is 4/3 of its size); larger ones answer
    /// 413. The default, 4 MiB, matches the cluster's remote frame size, which the submission crosses to the job manager.
    /// </summary>
    public int MaxJobSubmitBytes { get; init; } = 4 << 20;

    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan History { get; init; } = TimeSpan.FromMinutes(5);

    public bool SecurityOn => !string.IsNullOrEmpty(Token);

    /// <summary>Reads <c>recoflow.http</c> from <paramref name="config"/>, falling back to the embedded defaults.</summary>
    public static NodeServerOptions From(Config? config)
    {
        var c = (config ?? Config.Empty).WithFallback(DefaultConfig).GetConfig("recoflow.http");
        // RECOFLOW_TOKEN (which the CLI's cluster commands send too) overrides the configured token.
        var token = Setting("RECOFLOW_TOKEN", c.GetString("token"));
        var generated = string.IsNullOrEmpty(token) && !c.GetBoolean("allow-anonymous-writes");
        if (generated) token = RandomKey();
        var collectKey = Setting("RECOFLOW_COLLECT_KEY", c.GetString("collect-key"));
        // With security on, capture needs a key too: a publishable one, so pages never carry the admin token.
        var collectGenerated = string.IsNullOrEmpty(collectKey) && !string.IsNullOrEmpty(token);
        if (collectGenerated) collectKey = RandomKey();
        var proxies = Environment.GetEnvironmentVariable("RECOFLOW_TRUSTED_PROXIES") is { Length: > 0 } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : c.GetStringList("trusted-proxies") ?? [];
        var pfx = c.GetString("https-pfx");
        var o = new NodeServerOptions
        {
            Host = c.GetString("host"),
            Port = c.GetInt("port"),
            Token = string.IsNullOrEmpty(token) ? null : token,
            TokenGenerated = generated,
            CollectKey = string.IsNullOrEmpty(collectKey) ? null : collectKey,
            CollectKeyGenerated = collectGenerated,
            UserSecret = Setting("RECOFLOW_USER_SECRET", c.GetString("user-secret")) is { Length: > 0 } secret ? secret : null,
            TrustedProxies = [.. proxies],
            Certificate = string.IsNullOrEmpty(pfx) ? null : DevCertificate.Load(pfx, c.GetString("https-pfx-password")),
            MaxJobSubmitBytes = c.GetInt("max-job-bytes"),
            SampleInterval = c.GetTimeSpan("sample-interval"),
            History = c.GetTimeSpan("history"),
        };
        o.Validate();
        return o;
    }

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException("recoflow.http.port must be within 0..65535");
        if (MaxJobSubmitBytes < 1) throw new ArgumentException("recoflow.http.max-job-bytes must be positive");
        if (SampleInterval <= TimeSpan.Zero) throw new ArgumentException("recoflow.http.sample-interval must be positive");
        if (!string.IsNullOrEmpty(CollectKey) && CollectKey == Token)
            throw new ArgumentException("recoflow.http.collect-key must differ from recoflow.http.token: the collect key is published in web pages");
        if (UserSecret is { } secret && System.Text.Encoding.UTF8.GetByteCount(secret) < Security.UserTokens.MinSecretBytes)
            throw new ArgumentException($"recoflow.http.user-secret must be at least {Security.UserTokens.MinSecretBytes} bytes");
        Security.TrustedProxies.Parse(TrustedProxies);
    }

    /// <summary>The environment variable when set, else the configured value.</summary>
    private static string Setting(string environmentVariable, string configured) =>
        Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : configured;

    private static string RandomKey() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}
