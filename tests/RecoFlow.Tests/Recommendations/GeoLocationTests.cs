using RecoFlow.Cli;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Testing;

namespace RecoFlow.Tests.Recommendations;

/// <summary>
/// IP location from the shipped country database (ip-location-db, MaxMind format): the addresses below are those whose
/// country that database states (8.8.8.8 and 2001:4860:4860::8888 in the US, 193.99.144.80 in Germany, 81.2.69.142 in
/// Great Britain, 133.242.0.3 in Japan); private and loopback addresses are not listed.
/// </summary>
public sealed class GeoLocationTests : IDisposable
{
    private readonly MmdbIpRegionLookup _lookup = new(RepositoryData.GeoDatabase(), new Dictionary<string, string> { ["DE"] = "eu-central" });

    public void Dispose() => _lookup.Dispose();

    [Theory]
    [InlineData("8.8.8.8", "US", null)]
    [InlineData("2001:4860:4860::8888", "US", null)]
    [InlineData("::ffff:8.8.8.8", "US", null)]
    [InlineData("193.99.144.80", "DE", "eu-central")]
    [InlineData("81.2.69.142", "GB", null)]
    [InlineData("133.242.0.3", "JP", null)]
    public void The_database_gives_the_country_and_the_region_table_its_region(string ip, string country, string? region)
    {
        var hit = _lookup.Lookup(ip);
        Assert.NotNull(hit);
        Assert.Equal(country, hit.Value.Country);
        Assert.Equal(region, hit.Value.Region);
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("not an address")]
    [InlineData("")]
    public void Unlisted_addresses_and_text_that_is_no_address_give_nothing(string ip) => Assert.Null(_lookup.Lookup(ip));

    [Fact]
    public void A_file_that_is_not_a_database_is_refused_with_its_name()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a database");
            var e = Assert.Throws<InvalidDataException>(() => new MmdbIpRegionLookup(path));
            Assert.Contains(path, e.Message);
            Assert.Throws<FileNotFoundException>(() => new MmdbIpRegionLookup(path + ".missing"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Interaction WithIp(Consent consent) => new("e", "u", "i", InteractionType.Click, null, 1,
        new InteractionContext(Ip: "193.99.144.80", Lat: 52.52, Lon: 13.40), consent);

    [Fact]
    public void Location_is_derived_only_with_location_consent_and_the_ip_never_leaves_minimisation()
    {
        var minimizer = new DataMinimizer(_lookup);
        var (located, withConsent) = minimizer.Minimize(WithIp(Consent.Granted));
        Assert.Equal("DE", withConsent.Country);
        Assert.Equal("eu-central", withConsent.Region);
        Assert.NotNull(withConsent.GridCell);
        Assert.Null(located.Context.Ip);
        Assert.Null(located.Context.Lat);

        var (unlocated, without) = minimizer.Minimize(WithIp(Consent.PersonalizationOnly));
        Assert.Null(without.Country);
        Assert.Null(without.Region);
        Assert.Null(without.GridCell);
        Assert.Null(unlocated.Context.Ip);
        Assert.Null(unlocated.Context.Country);

        // The event's own country is location too: dropped without consent.
        var own = new Interaction("e", "u", "i", InteractionType.Click, null, 1, new InteractionContext(Country: "FR"), Consent.PersonalizationOnly);
        Assert.Null(minimizer.Minimize(own).Context.Country);
    }

    [Fact]
    public void The_event_parser_reads_location_consent_and_refuses_a_wrong_type()
    {
        var parser = new InteractionParser();
        const string Event = """{"event_id":"e1","user_id":"u1","item_id":"i1","type":"click","ts":1700000000000,"consent":CONSENT}""";
        Assert.Equal(Consent.Granted, parser.Parse(Event.Replace("CONSENT", """{"personalization":true,"location":true}""", StringComparison.Ordinal)).Event!.Consent);
        Assert.Equal(Consent.PersonalizationOnly, parser.Parse(Event.Replace("CONSENT", """{"personalization":true}""", StringComparison.Ordinal)).Event!.Consent);
        var bad = parser.Parse(Event.Replace("CONSENT", """{"personalization":true,"location":"yes"}""", StringComparison.Ordinal));
        Assert.Equal("consent.location", bad.Error!.Field);
    }

    [Fact]
    public void Capture_looks_the_senders_address_up_only_with_location_consent_and_forwards_no_address()
    {
        var capture = new RecoFlow.Recommendations.Edge.Capture.CaptureService(new Pseudonymizer("a-test-key-of-32-bytes-length!!!"u8.ToArray()), new DataMinimizer(_lookup));
        static byte[] Body(bool location) => System.Text.Encoding.UTF8.GetBytes(
            """{"event_id":"e1","user_id":"u1","item_id":"i1","type":"click","ts":1700000000000,"consent":{"personalization":true,"location":""" + (location ? "true" : "false") + "}}");

        var located = capture.Process(Body(location: true), clientIp: "193.99.144.80");
        var json = System.Text.Encoding.UTF8.GetString(located.Events.Single().Value);
        Assert.Contains("\"country\":\"DE\"", json, StringComparison.Ordinal);
        Assert.Contains("\"region\":\"eu-central\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("193.99.144.80", json, StringComparison.Ordinal);

        var unlocated = System.Text.Encoding.UTF8.GetString(capture.Process(Body(location: false), clientIp: "193.99.144.80").Events.Single().Value);
        Assert.DoesNotContain("country", unlocated, StringComparison.Ordinal);
        Assert.DoesNotContain("193.99.144.80", unlocated, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recoflow_geo_prints_what_a_node_derives()
    {
        var db = RepositoryData.GeoDatabase();
        var plain = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["geo", "8.8.8.8", "--database", db], plain));
        Assert.Equal("8.8.8.8 US", plain.ToString().Trim());

        var config = Path.GetTempFileName();
        try
        {
            File.WriteAllText(config, $$"""recoflow.http { geo-database = "{{db}}", geo-regions { DE = "eu-central" } }""");
            var json = new StringWriter();
            Assert.Equal(0, await CliApp.RunAsync(["geo", "193.99.144.80", "--json", "--config", config], json));
            using var doc = System.Text.Json.JsonDocument.Parse(json.ToString());
            Assert.Equal("DE", doc.RootElement.GetProperty("country").GetString());
            Assert.Equal("eu-central", doc.RootElement.GetProperty("region").GetString());
            Assert.Equal("DE-EU-CENTRAL", doc.RootElement.GetProperty("zone").GetString());
        }
        finally
        {
            File.Delete(config);
        }

        var unknown = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["geo", "10.0.0.1", "--database", db], unknown));
        Assert.Equal("10.0.0.1 unknown", unknown.ToString().Trim());
        Assert.Equal(2, await CliApp.RunAsync(["geo", "not-an-ip", "--database", db], new StringWriter()));
    }
}
