namespace RecoFlow.Recommendations.Features;

/// <summary>Cyclical encodings of local time; <see cref="UsedUtcFallback"/> is true when the time zone did not resolve.</summary>
public readonly record struct CyclicalTime(double HourSin, double HourCos, double DaySin, double DayCos, int LocalHour, DayOfWeek LocalDay, bool UsedUtcFallback);

/// <summary>
/// Time-of-day and day-of-week as sin/cos pairs in the user's IANA time zone: with h the local hour as a fraction
/// (0 ≤ h &lt; 24) and d the local day (Monday = 0 … Sunday = 6, plus h/24), HourSin = sin(2πh/24), HourCos = cos(2πh/24),
/// DaySin = sin(2πd/7), DayCos = cos(2πd/7). Time zones resolve through <see cref="TimeZoneInfo"/> (the system tz
/// database; InvariantGlobalization does not affect IANA ids on Linux). A missing or unknown zone falls back to UTC
/// and sets <see cref="CyclicalTime.UsedUtcFallback"/>. Resolved zones are cached per instance.
/// </summary>
public sealed class TimeFeatures
{
    private readonly Dictionary<string, TimeZoneInfo?> _cache = new(StringComparer.Ordinal);

    public CyclicalTime Compute(long timestampMs, string? ianaTimeZone)
    {
        TimeZoneInfo? tz = Resolve(ianaTimeZone);
        DateTimeOffset utc = DateTimeOffset.FromUnixTimeMilliseconds(timestampMs);
        DateTime local = tz is null ? utc.UtcDateTime : TimeZoneInfo.ConvertTime(utc, tz).DateTime;
        double h = local.Hour + local.Minute / 60.0 + local.Second / 3600.0;
        int monday0 = ((int)local.DayOfWeek + 6) % 7;
        double d = monday0 + h / 24.0;
        return new CyclicalTime(
            Math.Sin(2 * Math.PI * h / 24), Math.Cos(2 * Math.PI * h / 24),
            Math.Sin(2 * Math.PI * d / 7), Math.Cos(2 * Math.PI * d / 7),
            local.Hour, local.DayOfWeek, tz is null);
    }

    public TimeZoneInfo? Resolve(string? ianaTimeZone)
    {
        if (string.IsNullOrWhiteSpace(ianaTimeZone)) return null;
        if (_cache.TryGetValue(ianaTimeZone, out TimeZoneInfo? tz)) return tz;
        tz = TimeZoneInfo.TryFindSystemTimeZoneById(ianaTimeZone, out TimeZoneInfo? found) ? found : null;
        _cache[ianaTimeZone] = tz;
        return tz;
    }
}
