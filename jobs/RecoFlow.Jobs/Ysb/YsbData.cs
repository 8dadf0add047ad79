using System.Text;

namespace RecoFlow.Jobs.Ysb;

/// <summary>Campaign tables and generated YSB event files, for tests, benchmarks and the demo.</summary>
public static class YsbData
{
    public static readonly string[] EventTypes = ["view", "click", "purchase"];

    /// <summary>Reads a CSV with header <c>ad_id,campaign_id</c>.</summary>
    public static Dictionary<string, string> LoadCampaigns(string path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (lineNo == 1)
            {
                if (!line.Trim().Equals("ad_id,campaign_id", StringComparison.Ordinal))
                    throw new FormatException($"{path}: the header must be 'ad_id,campaign_id', got '{line}'");
                continue;
            }
            if (line.Length == 0) continue;
            var parts = line.Split(',');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new FormatException($"{path}:{lineNo}: expected 'ad_id,campaign_id', got '{line}'");
            map[parts[0]] = parts[1];
        }
        return map;
    }

    /// <summary>Ads ad-0..ad-(n·k−1), k ads per campaign.</summary>
    public static IReadOnlyList<(string Ad, string Campaign)> Campaigns(int campaigns = 100, int adsPerCampaign = 10) =>
        Enumerable.Range(0, campaigns * adsPerCampaign).Select(i => ($"ad-{i}", $"campaign-{i / adsPerCampaign}")).ToList();

    public static void WriteCampaigns(string path, IReadOnlyList<(string Ad, string Campaign)> table)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.WriteLine("ad_id,campaign_id");
        foreach (var (ad, campaign) in table) w.WriteLine($"{ad},{campaign}");
    }

    /// <summary>
    /// Generates events: time advances 1 ms per <paramref name="eventsPerMs"/> events from <paramref name="startTime"/>;
    /// each event's time is jittered back by up to <paramref name="maxDisorderMs"/> (out of order); a share of events
    /// lag by more (late) and a share use unknown ads.
    /// </summary>
    public static IEnumerable<YsbEvent> Generate(long count, int seed, IReadOnlyList<(string Ad, string Campaign)> table, long startTime = 1_700_000_000_000,
        int eventsPerMs = 10, int maxDisorderMs = 3_000, double lateShare = 0.001, double unknownAdShare = 0.001)
    {
        var rng = new Random(seed);
        for (long i = 0; i < count; i++)
        {
            var t = startTime + i / eventsPerMs - rng.Next(maxDisorderMs + 1);
            if (rng.NextDouble() < lateShare) t -= 20_000 + rng.Next(10_000);
            var ad = rng.NextDouble() < unknownAdShare ? $"unknown-{rng.Next(50)}" : table[rng.Next(table.Count)].Ad;
            yield return new YsbEvent($"user-{rng.Next(100_000)}", $"page-{rng.Next(10_000)}", ad, "banner", EventTypes[rng.Next(3)], t, $"10.0.{rng.Next(256)}.{rng.Next(256)}");
        }
    }

    public static void WriteEvents(string path, IEnumerable<YsbEvent> events)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        foreach (var e in events) w.WriteLine(e.ToJson());
    }

    /// <summary>
    /// The YSB result computed directly (no engine): a watermark that trails the largest event time seen by the bound,
    /// advanced after every event, decides lateness exactly as the job does when it reads the file in order.
    /// </summary>
    public static Dictionary<(string Campaign, long WindowStart), long> ExpectedCounts(IEnumerable<YsbEvent> events, IReadOnlyDictionary<string, string> campaigns,
        long windowMs, long maxOutOfOrdernessMs, int watermarkEvery = 1)
    {
        var counts = new Dictionary<(string, long), long>();
        var maxTs = long.MinValue;
        var watermark = long.MinValue;
        var n = 0;
        foreach (var e in events)
        {
            if (e.EventType == "view" && campaigns.TryGetValue(e.AdId, out var campaign))
            {
                var start = e.EventTime - ((e.EventTime % windowMs) + windowMs) % windowMs;
                if (start + windowMs - 1 > watermark)
                    counts[(campaign, start)] = counts.GetValueOrDefault((campaign, start)) + 1;
            }
            if (e.EventTime > maxTs) maxTs = e.EventTime;
            if (++n % watermarkEvery == 0) watermark = Math.Max(watermark, maxTs - maxOutOfOrdernessMs - 1);
        }
        return counts;
    }
}
