namespace RecoFlow.Recommendations.Edge.Push;

/// <summary>
/// Web Push settings of the edge (<c>recoflow.http.push</c>, defaults in edge.conf): the VAPID key pair and subject
/// (RFC 8292), when a user is notified (<see cref="MaterialTop"/>, <see cref="MinInterval"/>), and the bounds of
/// <c>POST /push/subscription</c>.
/// </summary>
public sealed record WebPushOptions
{
    /// <summary>The VAPID public key (base64url, uncompressed P-256 point); with <see cref="VapidPrivateKey"/>, or both null for a key pair generated per process (development only).</summary>
    public string? VapidPublicKey { get; init; }

    /// <summary>The VAPID private key (base64url, 32 bytes). Never leaves the node.</summary>
    public string? VapidPrivateKey { get; init; }

    /// <summary>The VAPID subject: a <c>mailto:</c> or <c>https:</c> contact for the push services; null: none.</summary>
    public string? VapidSubject { get; init; }

    /// <summary>A new top item counts as a material change when it is not among the previous list's first this many.</summary>
    public int MaterialTop { get; init; } = 3;

    /// <summary>At most one notification per user per this interval.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a push service keeps an undelivered notification (the TTL header).</summary>
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Largest accepted <c>POST /push/subscription</c> body in bytes.</summary>
    public int MaxSubscriptionBytes { get; init; } = 8 * 1024;

    /// <summary>Accept http (not only https) subscription endpoints: a local push service in tests; never on the internet.</summary>
    public bool AllowHttpEndpoints { get; init; }

    /// <summary>Most notifications being sent at once per push sink task; more make the sink wait.</summary>
    public int MaxInFlight { get; init; } = 16;

    public void Validate()
    {
        if ((VapidPublicKey is null) != (VapidPrivateKey is null))
            throw new ArgumentException("recoflow.http.push: give both vapid-public-key and vapid-private-key, or neither (a key pair generated per process, for development)");
        if (VapidSubject is { } subject && !(subject.StartsWith("mailto:", StringComparison.Ordinal)
            || (Uri.TryCreate(subject, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)))
            throw new ArgumentException($"recoflow.http.push.vapid-subject must be a mailto: or https: URL, got '{subject}'");
        if (MaterialTop < 1) throw new ArgumentException("recoflow.http.push.material-top must be at least 1");
        if (MinInterval < TimeSpan.Zero) throw new ArgumentException("recoflow.http.push.min-interval must not be negative");
        if (TimeToLive < TimeSpan.Zero || TimeToLive > TimeSpan.FromDays(28)) throw new ArgumentException("recoflow.http.push.time-to-live must be between 0 and 28 days");
        if (MaxSubscriptionBytes < 256) throw new ArgumentException("recoflow.http.push.max-subscription-bytes must be at least 256");
        if (MaxInFlight < 1) throw new ArgumentException("recoflow.http.push.max-in-flight must be at least 1");
    }
}
