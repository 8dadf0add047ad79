using System.Buffers;
using System.Text.Json;

namespace RecoFlow.Recommendations.Events;

/// <summary>Writes an <see cref="Interaction"/> as one JSON object of the job's event format (docs/events.md).</summary>
public static class InteractionJson
{
    /// <summary>The event in <see cref="InteractionParser"/>'s schema: the request context without its IP or coordinates (the
    /// capture path has minimised them away; other writers must not leak them either).</summary>
    public static byte[] ToJson(Interaction e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("event_id", e.EventId);
            w.WriteString("user_id", e.UserId);
            w.WriteString("item_id", e.ItemId);
            w.WriteString("type", InteractionTypes.ToWireName(e.Type));
            if (e.Value is { } v) w.WriteNumber("value", v);
            w.WriteNumber("ts", e.TimestampMs);
            var c = e.Context;
            w.WriteStartObject("context");
            void Opt(string name, string? value)
            {
                if (value is not null) w.WriteString(name, value);
            }
            Opt("timezone", c.Timezone);
            Opt("country", c.Country);
            Opt("region", c.Region);
            Opt("device_type", c.DeviceType);
            Opt("os", c.Os);
            Opt("browser", c.Browser);
            w.WriteEndObject();
            w.WriteStartObject("consent");
            w.WriteBoolean("personalization", e.Consent.Personalization);
            if (e.Consent.Location) w.WriteBoolean("location", true);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
