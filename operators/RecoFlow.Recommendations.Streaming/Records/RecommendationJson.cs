using System.Buffers;
using System.Text;
using System.Text.Json;

namespace RecoFlow.Recommendations.Streaming.Records;

/// <summary>
/// The two JSON forms of a <see cref="Recommendation"/>, written by one writer so their shared fields cannot drift:
/// the job's output (file or topic, docs/events.md) and the list the feed pushes to a page (docs/http-api.md).
/// </summary>
public static class RecommendationJson
{
    /// <summary>The job's output: <c>user_id, items, scores, model_version, event_id, event_ts, latency_ms, trigger</c>.</summary>
    public static string Output(Recommendation r) => Write(r, w =>
    {
        w.WriteNumber("latency_ms", Math.Round(r.LatencyMs, 3));
        w.WriteString("trigger", r.Trigger.ToWireName());
    });

    /// <summary>A personalised list as the feed pushes it: the output's fields without latency, with <c>personalized</c> and <c>published_ms</c>.</summary>
    public static string Feed(Recommendation r, long publishedMs) => Write(r, w =>
    {
        w.WriteBoolean("personalized", true);
        w.WriteString("trigger", r.Trigger.ToWireName());
        w.WriteNumber("published_ms", publishedMs);
    });

    // One buffer and writer per thread, reset for each list: the sink formats a record per event.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    private static string Write(Recommendation r, Action<Utf8JsonWriter> tail)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer);
        w.Reset(buffer);
        {
            w.WriteStartObject();
            w.WriteString("user_id", r.UserKey);
            w.WriteStartArray("items");
            foreach (var item in r.Items) w.WriteStringValue(item);
            w.WriteEndArray();
            w.WriteStartArray("scores");
            foreach (var score in r.Scores) w.WriteNumberValue(score);
            w.WriteEndArray();
            w.WriteNumber("model_version", r.ModelVersion);
            w.WriteString("event_id", r.EventId);
            w.WriteNumber("event_ts", r.EventTimestampMs);
            tail(w);
            w.WriteEndObject();
            w.Flush();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
