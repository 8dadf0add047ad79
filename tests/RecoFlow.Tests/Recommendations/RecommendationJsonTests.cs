using System.Text.Json;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Tests.Recommendations;

public sealed class RecommendationJsonTests
{
    private static readonly Recommendation List = new("u-é<1>", ["i1", "i\"2"], [0.5f, 1e-7f], 3, "e1", 1_700_000_000_000, 12.34567, ListTrigger.Interaction);

    [Fact]
    public void The_output_form_is_what_serializing_its_fields_in_order_gives()
    {
        var expected = JsonSerializer.Serialize(new
        {
            user_id = List.UserKey, items = List.Items, scores = List.Scores, model_version = List.ModelVersion, event_id = List.EventId,
            event_ts = List.EventTimestampMs, latency_ms = Math.Round(List.LatencyMs, 3), trigger = "interaction",
        });
        Assert.Equal(expected, RecommendationJson.Output(List));
    }

    [Fact]
    public void The_feed_form_shares_the_fields_and_adds_personalized_and_published_ms()
    {
        var expected = JsonSerializer.Serialize(new
        {
            user_id = List.UserKey, items = List.Items, scores = List.Scores, model_version = List.ModelVersion, event_id = List.EventId,
            event_ts = List.EventTimestampMs, personalized = true, trigger = "interaction", published_ms = 42L,
        });
        Assert.Equal(expected, RecommendationJson.Feed(List, 42));
    }
}
