using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Streaming.Records;

/// <summary>
/// Context features of an interaction after minimisation: time of day and day of week as sine/cosine in the user's
/// time zone, a location cluster (zone from country/region, or a coarse grid cell) and a device profile. No raw IP,
/// coordinates or user agent.
/// </summary>
public sealed record ContextFeatures(
    double HourSin, double HourCos, double DaySin, double DayCos,
    string? Zone, string? GridCell, string DeviceType, string OsFamily, string BrowserFamily)
{
    public static ContextFeatures None { get; } = new(0, 1, 0, 1, null, null, "unknown", "other", "other");
}

/// <summary>
/// An interaction ready for per-user processing: consent checked, context minimised, user id pseudonymised.
/// <see cref="Weight"/> is the implicit-signal weight (negative for dislikes); <see cref="IngestTicks"/> is the UTC
/// time (ticks) at which the job accepted the event, used for the event-to-recommendation latency. A request
/// (<see cref="IsRequest"/>) asks for the user's current list and changes no state; an erasure
/// (<see cref="IsErasure"/>) clears all keyed state of the user (opt-out) and carries the erasure time as its timestamp;
/// an expiry (<see cref="IsExpiry"/>) tells scoring that user features forgot an inactive user, so it forgets them too
/// (no list is emitted for it).
/// </summary>
public sealed record UserEvent(
    string EventId,
    string UserKey,
    string ItemId,
    InteractionType Type,
    double? Value,
    long TimestampMs,
    double Weight,
    bool IsPositive,
    ContextFeatures Context,
    long IngestTicks,
    bool IsRequest = false,
    bool IsErasure = false,
    bool IsExpiry = false)
{
    /// <summary>The erasure of <paramref name="userKey"/>'s keyed state, as of <paramref name="erasedAtMs"/>.</summary>
    public static UserEvent Erasure(string userKey, long erasedAtMs) =>
        new($"erase-{userKey}-{erasedAtMs}", userKey, "", InteractionType.View, null, erasedAtMs, 0, false, ContextFeatures.None, DateTime.UtcNow.Ticks, false, true);

    /// <summary>The expiry of <paramref name="userKey"/>'s keyed state after inactivity, at event time <paramref name="atMs"/>.</summary>
    public static UserEvent Expiry(string userKey, long atMs) =>
        new($"expire-{userKey}-{atMs}", userKey, "", InteractionType.View, null, atMs, 0, false, ContextFeatures.None, DateTime.UtcNow.Ticks, IsExpiry: true);

    /// <summary>A request for the user's list at <paramref name="timestampMs"/>, outside any interaction.</summary>
    public static UserEvent Request(string userKey, long timestampMs) =>
        new($"request-{userKey}-{timestampMs}", userKey, "", InteractionType.View, null, timestampMs, 0, false, ContextFeatures.None, DateTime.UtcNow.Ticks, true);
}

/// <summary>A raw event the job rejected, with the reason (the dead-letter side output).</summary>
public sealed record RejectedEvent(string Reason, string Raw);
