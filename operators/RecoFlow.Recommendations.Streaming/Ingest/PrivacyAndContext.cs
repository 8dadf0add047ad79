using RecoFlow.Api.Functions;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Features;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Ingest;

/// <summary>
/// Privacy and context in one pass, in this order: (1) consent filter — an event without personalisation consent is
/// dropped (counter <c>no-consent</c>); (2) data minimisation — raw IP, latitude/longitude and user agent are used
/// to derive a region, a grid cell and a device profile and are not passed on; (3) the user id is replaced by a keyed
/// hash (<see cref="Pseudonymizer"/>); (4) context features: hour and weekday as sine/cosine in the event's time zone
/// (UTC when absent or unknown), location zone, device profile; (5) the implicit-signal weight. Stateless; the
/// pseudonymisation key is configuration. With <paramref name="pseudonymize"/> off, step (3) is skipped: for input
/// whose user ids were already pseudonymised at capture (the node's /collect does that). With
/// <paramref name="geoDatabase"/> (a MaxMind-format file), each subtask opens it for the IP lookup of step (2).
/// </summary>
public sealed class PrivacyAndContext(byte[] pseudonymKey, ImplicitSignalWeights? weights = null, IIpRegionLookup? ipLookup = null, bool pseudonymize = true,
    string? geoDatabase = null)
    : ProcessFunction<Interaction, UserEvent>
{
    private Pseudonymizer? _pseudonymizer;
    private DataMinimizer? _minimizer;
    private TimeFeatures? _time;
    private ImplicitSignalWeights _weights = weights ?? new ImplicitSignalWeights();

    // The same users come back event after event: their pseudonyms are kept (bounded; cleared when full) so the keyed
    // hash runs once per user and subtask, not once per event.
    private const int PseudonymCacheSize = 100_000;
    private Dictionary<string, string>? _pseudonyms;
    private MmdbIpRegionLookup? _geo;
    // By value: the enum's values are 0, 1, 2, … in declaration order.
    private static readonly string[] DeviceTypeNames = [.. Enum.GetValues<DeviceType>().OrderBy(t => (int)t).Select(t => t.ToString().ToLowerInvariant())];

    public override void Open()
    {
        _pseudonymizer = new Pseudonymizer(pseudonymKey);
        _pseudonyms = new Dictionary<string, string>(StringComparer.Ordinal);
        _geo = ipLookup is null && geoDatabase is not null ? new MmdbIpRegionLookup(geoDatabase) : null;
        _minimizer = new DataMinimizer(ipLookup ?? _geo ?? (IIpRegionLookup)new NoIpRegionLookup());
        _time = new TimeFeatures();
        _weights = weights ?? new ImplicitSignalWeights();
    }

    public override void ProcessElement(Interaction value, IProcessContext context, ICollector<UserEvent> output)
    {
        if (!value.Consent.Personalization)
        {
            Runtime.Metrics.Increment("no-consent");
            return;
        }
        var min = _minimizer!.MinimizeContext(value.Context, value.Consent.Location);
        var t = _time!.Compute(value.TimestampMs, min.Timezone);
        var features = new ContextFeatures(t.HourSin, t.HourCos, t.DaySin, t.DayCos,
            min.Country is null ? null : LocationFeatures.Zone(min.Country, min.Region), min.GridCell,
            DeviceTypeName(min.Device.Type), min.Device.OsFamily, min.Device.BrowserFamily);
        output.Collect(new UserEvent(value.EventId, pseudonymize ? Pseudonym(value.UserId) : value.UserId, value.ItemId, value.Type, value.Value,
            value.TimestampMs, _weights.Weight(value.Type, value.Value), value.IsPositive, features, DateTime.UtcNow.Ticks));
    }

    public override void Close()
    {
        _geo?.Dispose();
        _geo = null;
    }

    private string Pseudonym(string userId)
    {
        if (_pseudonyms!.TryGetValue(userId, out var known)) return known;
        if (_pseudonyms.Count >= PseudonymCacheSize) _pseudonyms.Clear();
        var pseudonym = _pseudonymizer!.Pseudonymize(userId);
        _pseudonyms[userId] = pseudonym;
        return pseudonym;
    }

    private static string DeviceTypeName(DeviceType type) =>
        (uint)type < (uint)DeviceTypeNames.Length ? DeviceTypeNames[(int)type] : type.ToString().ToLowerInvariant();
}
