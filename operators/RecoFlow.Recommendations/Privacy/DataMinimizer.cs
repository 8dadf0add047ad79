using System.Globalization;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Features;

namespace RecoFlow.Recommendations.Privacy;

/// <summary>Resolves an IP address to a coarse location (country and optional region). Return null when unknown.</summary>
public interface IIpRegionLookup
{
    (string Country, string? Region)? Lookup(string ip);
}

/// <summary>A lookup that knows nothing: minimisation then keeps only the event's own country/region fields.</summary>
public sealed class NoIpRegionLookup : IIpRegionLookup
{
    public (string Country, string? Region)? Lookup(string ip) => null;
}

/// <summary>
/// Data minimisation of an interaction's context. With location consent (<see cref="Consent.Location"/>) the IP is
/// turned into country/region through an <see cref="IIpRegionLookup"/> (only when the event carries no country of its
/// own) and precise lat/lon become a coarse grid cell (<see cref="MinimizedContext.GridCell"/>, see
/// <see cref="LocationFeatures.GridCell"/>); without it the event keeps no location at all (its own country and
/// region are dropped too). Either way the raw IP, latitude, longitude and user-agent string are dropped from the
/// event (the user agent is reduced to device type, OS family and browser family).
/// </summary>
public sealed class DataMinimizer
{
    private readonly IIpRegionLookup _lookup;
    private readonly LocationFeatures _location;
    private readonly DeviceProfiler _devices = new();

    public DataMinimizer(IIpRegionLookup lookup, double gridCellDegrees = 1.0)
    {
        _lookup = lookup ?? throw new ArgumentNullException(nameof(lookup));
        _location = new LocationFeatures(gridCellDegrees);
    }

    /// <summary>Returns the minimised context and an event whose context holds no raw IP, coordinates or user agent.</summary>
    public (Interaction Event, MinimizedContext Context) Minimize(Interaction e)
    {
        ArgumentNullException.ThrowIfNull(e);
        InteractionContext c = e.Context;
        var min = MinimizeContext(c, e.Consent.Location);
        var device = min.Device;
        var stripped = c with
        {
            Country = min.Country,
            Region = min.Region,
            Ip = null,
            Lat = null,
            Lon = null,
            UserAgent = null,
            DeviceType = device.Type.ToString().ToLower(CultureInfo.InvariantCulture),
            Os = device.OsFamily,
            Browser = device.BrowserFamily,
        };
        return (e with { Context = stripped }, min);
    }

    /// <summary>
    /// The minimised context of <paramref name="c"/> alone (what <see cref="Minimize"/> returns second), without the
    /// stripped copy of the event: for a caller that passes on only the derived features. <paramref name="located"/>:
    /// the event has location consent (<see cref="Consent.Location"/>).
    /// </summary>
    public MinimizedContext MinimizeContext(InteractionContext c, bool located)
    {
        ArgumentNullException.ThrowIfNull(c);
        string? country = located ? c.Country : null, region = located ? c.Region : null;
        if (located && country is null && c.Ip is not null && _lookup.Lookup(c.Ip) is { } hit)
        {
            country = hit.Country;
            region = hit.Region;
        }
        return Derive(c, country, region, located);
    }

    // A context without any device information is common (files, server-side events): its profile is always the same.
    private static readonly DeviceProfile NoDevice = new(DeviceType.Unknown, "other", "other");

    private MinimizedContext Derive(InteractionContext c, string? country, string? region, bool located)
    {
        string? cell = located && c.Lat is double lat && c.Lon is double lon ? _location.GridCell(lat, lon) : null;
        DeviceProfile device = c.UserAgent is not null ? _devices.Profile(c.UserAgent)
            : c.DeviceType is null && c.Os is null && c.Browser is null ? NoDevice
            : new DeviceProfile(Parse(c.DeviceType), c.Os ?? "other", c.Browser ?? "other");
        return new MinimizedContext(c.Timezone, country, region, cell, device);
    }

    private static DeviceType Parse(string? s) => s?.ToLowerInvariant() switch
    {
        "mobile" => DeviceType.Mobile,
        "tablet" => DeviceType.Tablet,
        "desktop" => DeviceType.Desktop,
        _ => DeviceType.Unknown,
    };
}

/// <summary>What remains of the context after minimisation.</summary>
public sealed record MinimizedContext(string? Timezone, string? Country, string? Region, string? GridCell, DeviceProfile Device);
