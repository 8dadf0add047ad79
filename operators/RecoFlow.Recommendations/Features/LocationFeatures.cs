using System.Globalization;

namespace RecoFlow.Recommendations.Features;

/// <summary>
/// Coarse location features. Zone: "CC" or "CC-REGION" from ISO country (upper-cased) and region (upper-cased,
/// spaces to '_'); "unknown" without a country. Grid cell: "g{size}:{row}:{col}" with row = ⌊(lat + 90)/size⌋ and
/// col = ⌊(lon + 180)/size⌋ (size in degrees, default 1°, i.e. a fixed geohash-like grid of about 111 km cells at the
/// equator; lat = 90 and lon = 180 fold into the last row/column).
/// </summary>
public sealed class LocationFeatures
{
    private readonly double _size;
    private readonly string _prefix;

    public LocationFeatures(double cellDegrees = 1.0)
    {
        if (!(cellDegrees > 0) || cellDegrees > 90) throw new ArgumentOutOfRangeException(nameof(cellDegrees));
        _size = cellDegrees;
        _prefix = "g" + cellDegrees.ToString(CultureInfo.InvariantCulture) + ":";
    }

    public static string Zone(string? country, string? region)
    {
        if (string.IsNullOrWhiteSpace(country)) return "unknown";
        string cc = country.Trim().ToUpperInvariant();
        if (string.IsNullOrWhiteSpace(region)) return cc;
        return cc + "-" + region.Trim().ToUpperInvariant().Replace(' ', '_');
    }

    public string GridCell(double lat, double lon)
    {
        if (lat is < -90 or > 90 || double.IsNaN(lat)) throw new ArgumentOutOfRangeException(nameof(lat));
        if (lon is < -180 or > 180 || double.IsNaN(lon)) throw new ArgumentOutOfRangeException(nameof(lon));
        int rows = (int)Math.Ceiling(180 / _size), cols = (int)Math.Ceiling(360 / _size);
        int row = Math.Min((int)Math.Floor((lat + 90) / _size), rows - 1);
        int col = Math.Min((int)Math.Floor((lon + 180) / _size), cols - 1);
        return _prefix + row.ToString(CultureInfo.InvariantCulture) + ":" + col.ToString(CultureInfo.InvariantCulture);
    }
}
