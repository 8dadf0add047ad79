using System.CommandLine;
using System.Net;
using System.Text.Json;
using RecoFlow.Cli;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Features;
using RecoFlow.Recommendations.Privacy;

namespace RecoFlow.Recommendations.Cli;

/// <summary>
/// <c>recoflow geo IP [--json] [--config FILE] [--database PATH]</c>: prints the location a node derives from IP for
/// an event with location consent (its database and region table: <c>recoflow.http.geo-database</c>,
/// <c>RECOFLOW_GEO_DATABASE</c> or the one <c>build.ps1 geo</c> installed; <c>recoflow.http.geo-regions</c>). Plain:
/// <c>8.8.8.8 US</c> (and the region when the table has one), or <c>IP unknown</c> when the database does not list it.
/// </summary>
public static class GeoCommand
{
    public static Command Create(TextWriter output)
    {
        var ip = new Argument<string>("ip") { Description = "an IPv4 or IPv6 address" };
        var json = new Option<bool>("--json") { Description = "print a JSON object (ip, country, region, zone, database)" };
        var config = new Option<string?>("--config") { Description = "the node's HOCON file (its recoflow.http.geo-database and geo-regions)" };
        var database = new Option<string?>("--database") { Description = "the .mmdb file (overrides the configuration)" };
        var cmd = new Command("geo", "print the country (and region) a node derives from an IP address") { ip, json, config, database };
        cmd.SetAction(r =>
        {
            var address = r.GetValue(ip)!;
            if (!IPAddress.TryParse(address, out _)) throw new UsageException($"'{address}' is not an IPv4 or IPv6 address");
            var file = HoconFiles.Read(r.GetValue(config));
            RecommendationEdgeOptions options;
            try { options = RecommendationEdgeOptions.From(file); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var db = r.GetValue(database) ?? options.GeoDatabase ?? GeoDatabases.FindInstalled(Directory.GetCurrentDirectory()) ?? GeoDatabases.FindInstalled(AppContext.BaseDirectory)
                ?? throw new UsageException($"no IP location database: give --database, set recoflow.http.geo-database or {RecommendationEdgeOptions.GeoDatabaseVariable}, or install one with 'build.ps1 geo'");
            MmdbIpRegionLookup lookup;
            try { lookup = new MmdbIpRegionLookup(db, options.GeoRegions); }
            catch (Exception e) when (e is IOException or InvalidDataException) { throw new UsageException(e.Message); }
            using (lookup)
            {
                var hit = lookup.Lookup(address);
                if (r.GetValue(json))
                {
                    output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string?>
                    {
                        ["ip"] = address,
                        ["country"] = hit?.Country,
                        ["region"] = hit?.Region,
                        ["zone"] = LocationFeatures.Zone(hit?.Country, hit?.Region),
                        ["database"] = db,
                    }));
                }
                else
                {
                    output.WriteLine(hit is { } h ? $"{address} {h.Country}{(h.Region is null ? "" : " " + h.Region)}" : $"{address} unknown");
                }
            }
            return 0;
        });
        return cmd;
    }
}
