using System.Text;
using System.Text.Json;
using MessagePack;

namespace RecoFlow.Jobs.Ysb;

/// <summary>An ad event of the Yahoo Streaming Benchmark. Positional MessagePack keys: smaller and faster across nodes than member names.</summary>
[MessagePackObject]
public sealed record YsbEvent([property: Key(0)] string UserId, [property: Key(1)] string PageId, [property: Key(2)] string AdId,
    [property: Key(3)] string AdType, [property: Key(4)] string EventType, [property: Key(5)] long EventTime, [property: Key(6)] string IpAddress)
{
    private static readonly byte[] UserIdName = "user_id"u8.ToArray(), PageIdName = "page_id"u8.ToArray(), AdIdName = "ad_id"u8.ToArray(),
        AdTypeName = "ad_type"u8.ToArray(), EventTypeName = "event_type"u8.ToArray(), EventTimeName = "event_time"u8.ToArray(), IpName = "ip_address"u8.ToArray();

    /// <summary>Parses one JSON line; throws <see cref="FormatException"/> naming the missing or malformed field.</summary>
    public static YsbEvent Parse(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var reader = new Utf8JsonReader(bytes);
        string? user = null, page = null, ad = null, adType = null, type = null, ip = null;
        long? time = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new FormatException("event is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual(EventTimeName))
                {
                    time = reader.TokenType switch
                    {
                        JsonTokenType.Number => reader.GetInt64(),
                        JsonTokenType.String when long.TryParse(reader.GetString(), out var t) => t,
                        _ => throw new FormatException("event_time must be epoch milliseconds"),
                    };
                    continue;
                }
                if (reader.TokenType != JsonTokenType.String) { reader.Skip(); continue; }
                if (name.SequenceEqual(UserIdName)) user = reader.GetString();
                else if (name.SequenceEqual(PageIdName)) page = reader.GetString();
                else if (name.SequenceEqual(AdIdName)) ad = reader.GetString();
                else if (name.SequenceEqual(AdTypeName)) adType = reader.GetString();
                else if (name.SequenceEqual(EventTypeName)) type = reader.GetString();
                else if (name.SequenceEqual(IpName)) ip = reader.GetString();
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"malformed JSON: {e.Message}", e);
        }
        return new YsbEvent(
            user ?? "", page ?? "",
            ad ?? throw new FormatException("missing field ad_id"),
            adType ?? "",
            type ?? throw new FormatException("missing field event_type"),
            time ?? throw new FormatException("missing field event_time"),
            ip ?? "");
    }

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["user_id"] = UserId, ["page_id"] = PageId, ["ad_id"] = AdId, ["ad_type"] = AdType,
        ["event_type"] = EventType, ["event_time"] = EventTime, ["ip_address"] = IpAddress,
    });
}

/// <summary>One output row of the YSB job: views of a campaign in one window.</summary>
[MessagePackObject]
public sealed record YsbResult([property: Key(0)] string CampaignId, [property: Key(1)] long WindowStart, [property: Key(2)] long WindowEnd, [property: Key(3)] long Count)
{
    public string ToJson() => $"{{\"campaign_id\":{JsonSerializer.Serialize(CampaignId)},\"window_start\":{WindowStart},\"window_end\":{WindowEnd},\"count\":{Count}}}";
}

/// <summary>A view joined to its campaign (what crosses from the join to the keyed window tasks).</summary>
[MessagePackObject]
public readonly record struct CampaignView([property: Key(0)] string CampaignId, [property: Key(1)] long EventTime);
