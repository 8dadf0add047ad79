using Akka.Configuration;
using RecoFlow.Recommendations.Edge.Push;
using RecoFlow.Runtime;

namespace RecoFlow.Recommendations.Edge;

/// <summary>
/// Settings of the recommendation edge, read from the node's <c>recoflow.http</c> section (defaults in the embedded
/// edge.conf): the pseudonymisation key, the interactions topic, the bounds of /collect, and Web Push (<see cref="Push"/>).
/// </summary>
public sealed record RecommendationEdgeOptions
{
    /// <summary>The embedded edge.conf: the one place the defaults live.</summary>
    public static Config DefaultConfig { get; } = EmbeddedResources.ReadConfig(typeof(RecommendationEdgeOptions).Assembly, "RecoFlow.Recommendations.Edge.edge.conf");

    /// <summary>Key of the user-id pseudonymisation; null means a random key for this process.</summary>
    public byte[]? PseudonymKey { get; init; }

    public string InteractionsTopic { get; init; } = "interactions";
    public int MaxCollectBytes { get; init; } = 1 << 20;

    /// <summary>Most events in one /collect batch; more answer 413.</summary>
    public int MaxCollectEvents { get; init; } = Capture.CaptureService.DefaultMaxEvents;

    /// <summary>Largest /consent body in bytes; larger ones answer 413.</summary>
    public int MaxConsentBytes { get; init; } = 16 * 1024;
    public int CollectRateLimit { get; init; } = 100;
    public TimeSpan CollectRateWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The IP location database (.mmdb), or null for none (<c>recoflow.http.geo-database</c>, <c>RECOFLOW_GEO_DATABASE</c>).</summary>
    public string? GeoDatabase { get; init; }

    /// <summary>Country → region (<c>recoflow.http.geo-regions</c>).</summary>
    public IReadOnlyDictionary<string, string> GeoRegions { get; init; } = new Dictionary<string, string>();

    /// <summary>Web Push: VAPID keys, when to notify, the bounds of POST /push/subscription (<c>recoflow.http.push</c>).</summary>
    public WebPushOptions Push { get; init; } = new();

    /// <summary>The environment variable that overrides <c>recoflow.http.geo-database</c>.</summary>
    public const string GeoDatabaseVariable = "RECOFLOW_GEO_DATABASE";

    /// <summary>Reads <c>recoflow.http</c> from <paramref name="config"/>, falling back to the embedded defaults.</summary>
    public static RecommendationEdgeOptions From(Config? config)
    {
        var c = (config ?? Config.Empty).WithFallback(DefaultConfig).GetConfig("recoflow.http");
        var key = c.GetString("pseudonym-key");
        var o = new RecommendationEdgeOptions
        {
            PseudonymKey = string.IsNullOrEmpty(key) ? null : System.Text.Encoding.UTF8.GetBytes(key),
            InteractionsTopic = c.GetString("interactions-topic"),
            MaxCollectBytes = c.GetInt("max-collect-bytes"),
            MaxCollectEvents = c.GetInt("max-collect-events"),
            MaxConsentBytes = c.GetInt("max-consent-bytes"),
            CollectRateLimit = c.GetInt("collect-rate-limit"),
            CollectRateWindow = c.GetTimeSpan("collect-rate-window"),
            GeoDatabase = NonEmpty(Environment.GetEnvironmentVariable(GeoDatabaseVariable)) ?? NonEmpty(c.GetString("geo-database")),
            GeoRegions = Regions(c.GetConfig("geo-regions")),
            Push = PushFrom(c.GetConfig("push")),
        };
        o.Validate();
        return o;
    }

    private static WebPushOptions PushFrom(Config c) => new()
    {
        VapidPublicKey = NonEmpty(c.GetString("vapid-public-key")),
        VapidPrivateKey = NonEmpty(c.GetString("vapid-private-key")),
        VapidSubject = NonEmpty(c.GetString("vapid-subject")),
        MaterialTop = c.GetInt("material-top"),
        MinInterval = c.GetTimeSpan("min-interval"),
        TimeToLive = c.GetTimeSpan("time-to-live"),
        MaxSubscriptionBytes = c.GetInt("max-subscription-bytes"),
        AllowHttpEndpoints = c.GetBoolean("allow-http-endpoints"),
        MaxInFlight = c.GetInt("max-in-flight"),
    };

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static Dictionary<string, string> Regions(Config? c)
    {
        var regions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (c is null || c.IsEmpty) return regions;
        foreach (var (country, value) in c.AsEnumerable())
            regions[country] = value.GetString();
        return regions;
    }

    public void Validate()
    {
        if (GeoDatabase is { } geo && !File.Exists(geo))
            throw new ArgumentException($"recoflow.http.geo-database ({GeoDatabaseVariable}): {geo} does not exist; install one with 'build.ps1 geo' or leave it empty");
        foreach (var country in GeoRegions.Keys)
            if (country.Length != 2) throw new ArgumentException($"recoflow.http.geo-regions: '{country}' is not a two-letter country code");
        if (PseudonymKey is { Length: < 16 }) throw new ArgumentException("recoflow.http.pseudonym-key must be at least 16 bytes");
        if (MaxCollectBytes < 1) throw new ArgumentException("recoflow.http.max-collect-bytes must be positive");
        if (MaxCollectEvents < 1) throw new ArgumentException("recoflow.http.max-collect-events must be positive");
        if (MaxConsentBytes < 1) throw new ArgumentException("recoflow.http.max-consent-bytes must be positive");
        if (CollectRateLimit < 1) throw new ArgumentException("recoflow.http.collect-rate-limit must be at least 1");
        if (string.IsNullOrWhiteSpace(InteractionsTopic)) throw new ArgumentException("recoflow.http.interactions-topic must not be empty");
        ArgumentNullException.ThrowIfNull(Push);
        Push.Validate();
    }
}
