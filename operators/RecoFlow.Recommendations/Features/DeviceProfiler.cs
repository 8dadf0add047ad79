namespace RecoFlow.Recommendations.Features;

public enum DeviceType
{
    Unknown,
    Mobile,
    Tablet,
    Desktop,
}

/// <summary>Device type, OS family and browser family ("other" when no rule matches).</summary>
public sealed record DeviceProfile(DeviceType Type, string OsFamily, string BrowserFamily);

/// <summary>
/// Derives a <see cref="DeviceProfile"/> from a user-agent string with a small ordered rule table (first match wins,
/// case-insensitive substring tests). Order matters: e.g. Edge and Opera UAs also contain "Chrome", Chrome's
/// contains "Safari", iPadOS/Android tablets are tested before phones.
/// </summary>
public sealed class DeviceProfiler
{
    private static readonly (string Token, string Family)[] OsRules =
    [
        ("Windows Phone", "windows_phone"),
        ("Windows", "windows"),
        ("iPhone", "ios"),
        ("iPad", "ios"),
        ("iPod", "ios"),
        ("Android", "android"),
        ("CrOS", "chromeos"),
        ("Mac OS X", "macos"),
        ("Macintosh", "macos"),
        ("Linux", "linux"),
    ];

    private static readonly (string Token, string Family)[] BrowserRules =
    [
        ("Edg", "edge"),
        ("OPR/", "opera"),
        ("Opera", "opera"),
        ("SamsungBrowser", "samsung"),
        ("Firefox", "firefox"),
        ("FxiOS", "firefox"),
        ("CriOS", "chrome"),
        ("Chrome", "chrome"),
        ("Safari", "safari"),
        ("MSIE", "ie"),
        ("Trident", "ie"),
    ];

    private static readonly (string Token, DeviceType Type)[] DeviceRules =
    [
        ("iPad", DeviceType.Tablet),
        ("Tablet", DeviceType.Tablet),
        ("Kindle", DeviceType.Tablet),
        ("Silk", DeviceType.Tablet),
        ("Mobile", DeviceType.Mobile),
        ("iPhone", DeviceType.Mobile),
        ("iPod", DeviceType.Mobile),
        ("Windows Phone", DeviceType.Mobile),
        ("Android", DeviceType.Tablet), // Android without "Mobile" is a tablet by Google's UA convention
        ("Windows NT", DeviceType.Desktop),
        ("Macintosh", DeviceType.Desktop),
        ("X11", DeviceType.Desktop),
        ("CrOS", DeviceType.Desktop),
    ];

    public DeviceProfile Profile(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent)) return new DeviceProfile(DeviceType.Unknown, "other", "other");
        return new DeviceProfile(First(DeviceRules, userAgent, DeviceType.Unknown), First(OsRules, userAgent, "other"), First(BrowserRules, userAgent, "other"));
    }

    private static T First<T>((string Token, T Value)[] rules, string ua, T fallback)
    {
        foreach ((string token, T value) in rules)
        {
            if (ua.Contains(token, StringComparison.OrdinalIgnoreCase)) return value;
        }

        return fallback;
    }
}
