namespace RecoFlow.Recommendations.Privacy;

/// <summary>
/// Where the IP location database is found when none is configured: <c>artifacts/geo/geo-whois-asn-country.mmdb</c>
/// (what <c>build.ps1 geo</c> installs from the npm package <c>@ip-location-db/geo-whois-asn-country-mmdb</c>) in the
/// nearest folder above <paramref name="start"/> that holds one.
/// </summary>
public static class GeoDatabases
{
    public const string RelativePath = "artifacts/geo/geo-whois-asn-country.mmdb";

    public static string? FindInstalled(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
