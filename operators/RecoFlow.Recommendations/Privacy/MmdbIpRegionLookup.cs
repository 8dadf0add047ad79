using System.Net;
using MaxMind.Db;

namespace RecoFlow.Recommendations.Privacy;

/// <summary>
/// IP → country from an offline MaxMind-format database (<c>.mmdb</c>, read with MaxMind.Db, memory-mapped): the
/// record's <c>country_code</c> (the ip-location-db country databases) or <c>country.iso_code</c> (GeoLite2/GeoIP2
/// Country). The region is the country's entry in <paramref name="regions"/> (a table in configuration, for example
/// <c>DE = "eu-central"</c>), or none. Addresses the database does not list (private, loopback, unassigned) and text
/// that is not an address give null. Thread-safe; one instance per process is enough.
/// </summary>
public sealed class MmdbIpRegionLookup : IIpRegionLookup, IDisposable
{
    private readonly Reader _reader;
    private readonly IReadOnlyDictionary<string, string> _regions;

    public MmdbIpRegionLookup(string databasePath, IReadOnlyDictionary<string, string>? regions = null)
    {
        if (!File.Exists(databasePath))
            throw new FileNotFoundException($"IP location database {databasePath} does not exist (build.ps1 geo installs one)", databasePath);
        try
        {
            _reader = new Reader(databasePath, FileAccessMode.MemoryMapped);
        }
        catch (InvalidDatabaseException e)
        {
            throw new InvalidDataException($"{databasePath} is not a MaxMind-format database: {e.Message}", e);
        }
        _regions = regions is null ? new Dictionary<string, string>() : new Dictionary<string, string>(regions, StringComparer.OrdinalIgnoreCase);
        DatabasePath = databasePath;
    }

    public string DatabasePath { get; }

    /// <summary>The database's type and build time, as its metadata states them.</summary>
    public string Describe() => $"{_reader.Metadata.DatabaseType}, built {_reader.Metadata.BuildDate:yyyy-MM-dd}";

    public (string Country, string? Region)? Lookup(string ip)
    {
        if (!IPAddress.TryParse(ip, out var address)) return null;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Dictionary<string, object>? record;
        try
        {
            record = _reader.Find<Dictionary<string, object>>(address);
        }
        catch (InvalidDatabaseException)
        {
            return null;
        }
        if (record is null || CountryOf(record) is not { Length: 2 } country) return null;
        country = country.ToUpperInvariant();
        return (country, _regions.TryGetValue(country, out var region) ? region : null);
    }

    private static string? CountryOf(Dictionary<string, object> record)
    {
        if (record.TryGetValue("country_code", out var code) && code is string cc) return cc;
        if (record.TryGetValue("country", out var country) && country is Dictionary<string, object> c && c.TryGetValue("iso_code", out var iso) && iso is string isoCode)
            return isoCode;
        return null;
    }

    public void Dispose() => _reader.Dispose();
}
