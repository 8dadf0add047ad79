using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Features;
using RecoFlow.Recommendations.Privacy;

namespace RecoFlow.Recommendations.Tests;

public class PrivacyTests
{
    private static readonly byte[] Key1 = "0123456789abcdef0123456789abcdef"u8.ToArray();
    private static readonly byte[] Key2 = "fedcba9876543210fedcba9876543210"u8.ToArray();

    [Fact]
    public void PseudonymIsStableKeyedAndUrlSafe()
    {
        var p1 = new Pseudonymizer(Key1);
        string a = p1.Pseudonymize("user-17");
        Assert.Equal(a, new Pseudonymizer(Key1).Pseudonymize("user-17"));
        Assert.NotEqual(a, p1.Pseudonymize("user-18"));
        Assert.NotEqual(a, new Pseudonymizer(Key2).Pseudonymize("user-17"));
        Assert.Equal(43, a.Length);
        Assert.Matches("^[A-Za-z0-9_-]+$", a);
        Assert.DoesNotContain("user", a, StringComparison.Ordinal);
    }

    [Fact]
    public void PseudonymMatchesHmacSha256()
    {
        byte[] mac = System.Security.Cryptography.HMACSHA256.HashData(Key1, "42"u8.ToArray());
        string expected = Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(expected, new Pseudonymizer(Key1).Pseudonymize("42"));
    }

    [Fact]
    public void ShortKeyIsRejected() => Assert.Throws<ArgumentException>(() => new Pseudonymizer("short"u8));

    private sealed class FakeLookup : IIpRegionLookup
    {
        public (string Country, string? Region)? Lookup(string ip) => ip == "203.0.113.7" ? ("FR", "IDF") : null;
    }

    [Fact]
    public void MinimizerReplacesRawFieldsByCoarseOnes()
    {
        var ctx = new InteractionContext(Timezone: "Europe/Paris", Lat: 48.8566, Lon: 2.3522, Ip: "203.0.113.7",
            UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile Safari/604.1");
        var e = new Interaction("e", "u", "i", InteractionType.Click, null, 1, ctx, Consent.Granted);
        (Interaction minimized, MinimizedContext m) = new DataMinimizer(new FakeLookup()).Minimize(e);
        Assert.Null(minimized.Context.Ip);
        Assert.Null(minimized.Context.Lat);
        Assert.Null(minimized.Context.Lon);
        Assert.Null(minimized.Context.UserAgent);
        Assert.Equal("FR", minimized.Context.Country);
        Assert.Equal("IDF", minimized.Context.Region);
        Assert.Equal("g1:138:182", m.GridCell);
        Assert.Equal(DeviceType.Mobile, m.Device.Type);
        Assert.Equal("ios", minimized.Context.Os);
        Assert.Equal("Europe/Paris", m.Timezone);
    }

    [Fact]
    public void MinimizerKeepsOwnCountryAndWorksWithoutLookup()
    {
        var ctx = new InteractionContext(Country: "DE", Ip: "198.51.100.1");
        var e = new Interaction("e", "u", "i", InteractionType.View, null, 1, ctx, Consent.Of(personalization: false, location: true));
        (Interaction minimized, MinimizedContext m) = new DataMinimizer(new NoIpRegionLookup()).Minimize(e);
        Assert.Equal("DE", m.Country);
        Assert.Null(m.GridCell);
        Assert.Null(minimized.Context.Ip);
    }
    [Fact]
    public void MinimizedContextAloneEqualsTheOneMinimizeReturns()
    {
        InteractionContext[] contexts =
        [
            new(Timezone: "Europe/Paris", Lat: 48.8566, Lon: 2.3522, Ip: "203.0.113.7",
                UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile Safari/604.1"),
            new(Country: "DE", Ip: "198.51.100.1", DeviceType: "Tablet", Os: "android"),
            InteractionContext.Empty,
        ];
        var minimizer = new DataMinimizer(new FakeLookup());
        foreach (var ctx in contexts)
        {
            var e = new Interaction("e", "u", "i", InteractionType.Click, null, 1, ctx, Consent.Granted);
            Assert.Equal(minimizer.Minimize(e).Context, minimizer.MinimizeContext(ctx, e.Consent.Location));
        }
    }
}
