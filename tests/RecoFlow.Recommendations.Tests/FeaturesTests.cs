using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Features;

namespace RecoFlow.Recommendations.Tests;

public class FeaturesTests
{
    [Fact]
    public void IanaTimeZonesResolveUnderInvariantGlobalization()
    {
        var tf = new TimeFeatures();
        Assert.NotNull(tf.Resolve("Europe/Paris"));
        Assert.NotNull(tf.Resolve("America/New_York"));
        Assert.NotNull(tf.Resolve("Asia/Tokyo"));
    }

    [Fact]
    public void CyclicalTimeUsesLocalClock()
    {
        var tf = new TimeFeatures();
        // 2024-01-15 (a Monday) 12:00 UTC = 21:00 in Tokyo (UTC+9), 07:00 in New York (UTC-5).
        long ts = new DateTimeOffset(2024, 1, 15, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        CyclicalTime tokyo = tf.Compute(ts, "Asia/Tokyo");
        Assert.False(tokyo.UsedUtcFallback);
        Assert.Equal(21, tokyo.LocalHour);
        Assert.Equal(Math.Sin(2 * Math.PI * 21 / 24), tokyo.HourSin, 9);
        Assert.Equal(Math.Cos(2 * Math.PI * 21 / 24), tokyo.HourCos, 9);
        CyclicalTime ny = tf.Compute(ts, "America/New_York");
        Assert.Equal(7, ny.LocalHour);
        Assert.Equal(DayOfWeek.Monday, ny.LocalDay);
        Assert.Equal(Math.Sin(2 * Math.PI * (7 / 24.0) / 7), ny.DaySin, 9);
        // Sin/cos lie on the unit circle.
        Assert.Equal(1.0, ny.HourSin * ny.HourSin + ny.HourCos * ny.HourCos, 9);
    }

    [Fact]
    public void DaylightSavingIsApplied()
    {
        var tf = new TimeFeatures();
        long winter = new DateTimeOffset(2024, 1, 15, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        long summer = new DateTimeOffset(2024, 7, 15, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal(13, tf.Compute(winter, "Europe/Paris").LocalHour);
        Assert.Equal(14, tf.Compute(summer, "Europe/Paris").LocalHour);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Mars/Olympus_Mons")]
    public void UnknownTimeZoneFallsBackToUtcWithFlag(string? tz)
    {
        long ts = new DateTimeOffset(2024, 1, 15, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        CyclicalTime t = new TimeFeatures().Compute(ts, tz);
        Assert.True(t.UsedUtcFallback);
        Assert.Equal(12, t.LocalHour);
    }

    [Fact]
    public void LocationZoneAndGridCell()
    {
        Assert.Equal("FR-ILE_DE_FRANCE", LocationFeatures.Zone("fr", "Ile de France"));
        Assert.Equal("DE", LocationFeatures.Zone("de", null));
        Assert.Equal("unknown", LocationFeatures.Zone(null, "x"));
        var loc = new LocationFeatures(1.0);
        Assert.Equal("g1:138:182", loc.GridCell(48.85, 2.35));
        Assert.Equal(loc.GridCell(48.01, 2.99), loc.GridCell(48.99, 2.01));
        Assert.NotEqual(loc.GridCell(48.99, 2.5), loc.GridCell(49.01, 2.5));
        Assert.Equal("g1:179:359", loc.GridCell(90, 180));
        Assert.Equal("g1:0:0", loc.GridCell(-90, -180));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", DeviceType.Mobile, "ios", "safari")]
    [InlineData("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", DeviceType.Tablet, "ios", "safari")]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36", DeviceType.Mobile, "android", "chrome")]
    [InlineData("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", DeviceType.Tablet, "android", "chrome")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0", DeviceType.Desktop, "windows", "edge")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", DeviceType.Desktop, "linux", "firefox")]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", DeviceType.Desktop, "macos", "safari")]
    [InlineData("curl/8.0", DeviceType.Unknown, "other", "other")]
    public void DeviceProfileFromUserAgent(string ua, DeviceType type, string os, string browser)
    {
        DeviceProfile p = new DeviceProfiler().Profile(ua);
        Assert.Equal(new DeviceProfile(type, os, browser), p);
    }

    [Fact]
    public void ImplicitWeightsAreOrdered()
    {
        var w = new ImplicitSignalWeights();
        double purchase = w.Weight(InteractionType.Purchase, null);
        double cart = w.Weight(InteractionType.AddToCart, null);
        double like = w.Weight(InteractionType.Like, null);
        double click = w.Weight(InteractionType.Click, null);
        double longDwell = w.Weight(InteractionType.Dwell, 120);
        double deepScroll = w.Weight(InteractionType.Scroll, 0.9);
        double view = w.Weight(InteractionType.View, null);
        Assert.True(purchase > cart && cart > like && like > click && click > longDwell && longDwell > view);
        Assert.Equal(longDwell, deepScroll);
        Assert.Equal(view, w.Weight(InteractionType.Dwell, 2));
        Assert.Equal(view, w.Weight(InteractionType.Scroll, 0.1));
        Assert.True(w.Weight(InteractionType.Dislike, null) < 0);
        Assert.True(w.Weight(InteractionType.Rating, 5) > w.Weight(InteractionType.Rating, 4));
        Assert.Equal(0, w.Weight(InteractionType.Rating, 3));
        Assert.True(w.Weight(InteractionType.Rating, 1) < 0);
    }
}
