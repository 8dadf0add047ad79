namespace RecoFlow.Recommendations.Events;

/// <summary>Optional request context of an interaction. Every field may be absent.</summary>
public sealed record InteractionContext(
    string? Timezone = null,
    string? Country = null,
    string? Region = null,
    double? Lat = null,
    double? Lon = null,
    string? Ip = null,
    string? DeviceType = null,
    string? Os = null,
    string? Browser = null,
    string? UserAgent = null)
{
    public static InteractionContext Empty { get; } = new();
}

/// <summary>
/// What the user agreed to. Without personalisation consent, an event must not feed per-user models; without location
/// consent, no location is derived from it (no country or region from its IP or its own fields, no grid cell from its
/// coordinates).
/// </summary>
public sealed record Consent(bool Personalization, bool Location = false)
{
    /// <summary>Personalisation and location.</summary>
    public static Consent Granted { get; } = new(true, true);
    public static Consent Denied { get; } = new(false, false);
    /// <summary>Personalisation without location.</summary>
    public static Consent PersonalizationOnly { get; } = new(true, false);
    private static readonly Consent LocationOnly = new(false, true);

    /// <summary>One shared instance per combination.</summary>
    public static Consent Of(bool personalization, bool location) =>
        personalization ? (location ? Granted : PersonalizationOnly) : (location ? LocationOnly : Denied);
}

/// <summary>
/// One user–item interaction. <see cref="Value"/> is the rating (0.5–5) for <see cref="InteractionType.Rating"/>,
/// seconds for <see cref="InteractionType.Dwell"/>, depth (0–1) for <see cref="InteractionType.Scroll"/>, and
/// null (or an ignored number) otherwise. <see cref="TimestampMs"/> is Unix epoch milliseconds (UTC).
/// </summary>
public sealed record Interaction(
    string EventId,
    string UserId,
    string ItemId,
    InteractionType Type,
    double? Value,
    long TimestampMs,
    InteractionContext Context,
    Consent Consent)
{
    /// <summary>Positive feedback per <see cref="InteractionTypes.IsPositive"/>.</summary>
    public bool IsPositive => InteractionTypes.IsPositive(Type, (float)(Value ?? 0));
}
