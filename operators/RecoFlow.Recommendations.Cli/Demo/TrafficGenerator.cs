using System.Text;
using System.Text.Json;

namespace RecoFlow.Recommendations.Cli.Demo;

/// <summary>
/// Simulated shoppers POSTing to /collect: each has a stable taste (one or two favourite categories, 85% of their
/// events), a time zone, a country and a device, all drawn from a seeded random generator. Events are sent in
/// batches every 50 ms at <see cref="Rate"/> events per second, stamped with the wall clock. Stop with the token.
/// </summary>
public sealed class TrafficGenerator(HttpClient http, DemoCatalog catalog, double rate, int users = 2_000, int seed = 42)
{
    private static readonly (string Zone, string Country, string Region)[] Places =
    [
        ("Europe/Berlin", "DE", "BE"), ("Europe/Paris", "FR", "IDF"), ("America/New_York", "US", "NY"), ("America/Los_Angeles", "US", "CA"),
        ("Asia/Tokyo", "JP", "13"), ("Australia/Sydney", "AU", "NSW"), ("America/Sao_Paulo", "BR", "SP"), ("Asia/Kolkata", "IN", "MH"),
    ];
    private static readonly (string Device, string Os, string Browser)[] Devices =
    [
        ("mobile", "ios", "safari"), ("mobile", "android", "chrome"), ("desktop", "windows", "edge"), ("desktop", "macos", "firefox"), ("tablet", "ipados", "safari"),
    ];
    private static readonly string[] Types = ["view", "view", "view", "click", "click", "add_to_cart", "like", "purchase"];

    private long _sent;
    private long _failed;

    public double Rate => rate;
    public long Sent => Interlocked.Read(ref _sent);
    public long Failed => Interlocked.Read(ref _failed);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (rate <= 0) return;
        var rng = new Random(seed);
        var profiles = Enumerable.Range(0, users).Select(u => new Profile(
            $"shopper-{u:D5}",
            [.. Enumerable.Range(0, 1 + rng.Next(2)).Select(_ => DemoCatalog.CategoryNames[rng.Next(DemoCatalog.CategoryNames.Length)]).Distinct()],
            Places[rng.Next(Places.Length)], Devices[rng.Next(Devices.Length)])).ToArray();
        var tick = TimeSpan.FromMilliseconds(50);
        using var timer = new PeriodicTimer(tick);
        var start = DateTime.UtcNow;
        long due = 0, n = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                due = (long)((DateTime.UtcNow - start).TotalSeconds * rate);
                int batch = (int)Math.Min(due - n, Math.Max(1, rate));
                if (batch <= 0) continue;
                var body = new StringBuilder("[");
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                for (int i = 0; i < batch; i++, n++)
                {
                    var p = profiles[rng.Next(profiles.Length)];
                    var category = rng.NextDouble() < 0.85 ? p.Favourites[rng.Next(p.Favourites.Length)] : DemoCatalog.CategoryNames[rng.Next(DemoCatalog.CategoryNames.Length)];
                    var items = catalog.ByCategory[category];
                    // A few items per category are the hits: a skewed pick (squared uniform).
                    var u = rng.NextDouble();
                    var item = items[(int)(u * u * items.Count)];
                    if (i > 0) body.Append(',');
                    body.Append(JsonSerializer.Serialize(new
                    {
                        event_id = $"gen-{seed}-{n}",
                        user_id = p.User,
                        item_id = item.Id,
                        type = Types[rng.Next(Types.Length)],
                        ts = now,
                        context = new { timezone = p.Place.Zone, country = p.Place.Country, region = p.Place.Region, device_type = p.Device.Device, os = p.Device.Os, browser = p.Device.Browser },
                        consent = new { personalization = true },
                    }));
                }
                body.Append(']');
                try
                {
                    using var response = await http.PostAsync("collect", new StringContent(body.ToString(), Encoding.UTF8, "application/json"), cancellationToken);
                    if (response.IsSuccessStatusCode) Interlocked.Add(ref _sent, batch);
                    else Interlocked.Add(ref _failed, batch);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Add(ref _failed, batch);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private sealed record Profile(string User, string[] Favourites, (string Zone, string Country, string Region) Place, (string Device, string Os, string Browser) Device);
}
