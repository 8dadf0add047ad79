using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Runtime.State;

namespace RecoFlow.Tests.Recommendations;

public sealed class ListTriggerTests
{
    /// <summary>The shape <see cref="Recommendation"/> had when its trigger was a string (what older checkpoints hold).</summary>
    public sealed record StringTriggerRecommendation(string UserKey, string[] Items, float[] Scores, long ModelVersion, string EventId, long EventTimestampMs, double LatencyMs, string Trigger);

    [Theory]
    [InlineData("interaction", ListTrigger.Interaction)]
    [InlineData("probe", ListTrigger.Probe)]
    [InlineData("request", ListTrigger.Request)]
    [InlineData("erased", ListTrigger.Erased)]
    public void A_list_in_state_keeps_its_stored_form_in_both_directions(string wireName, ListTrigger trigger)
    {
        var old = new StringTriggerRecommendation("u1", ["a", "b"], [0.5f, 0.25f], 3, "e1", 1_000, 1.5, wireName);
        var restored = StateSerializer.Deserialize<Recommendation>(StateSerializer.Serialize(old));
        Assert.Equal(trigger, restored.Trigger);
        Assert.Equal(old.Items, restored.Items);
        Assert.Equal(old.ModelVersion, restored.ModelVersion);

        var written = StateSerializer.Serialize(restored);
        Assert.Equal(StateSerializer.Serialize(old), written);
        Assert.Equal(wireName, StateSerializer.Deserialize<StringTriggerRecommendation>(written).Trigger);
        Assert.Equal(wireName, trigger.ToWireName());
        Assert.Equal(trigger, ListTriggers.Parse(wireName));
    }

    [Fact]
    public void An_unknown_stored_trigger_is_refused_with_its_name()
    {
        var bytes = StateSerializer.Serialize(new StringTriggerRecommendation("u1", [], [], 0, "e1", 0, 0, "popular"));
        var e = Assert.ThrowsAny<Exception>(() => StateSerializer.Deserialize<Recommendation>(bytes));
        Assert.Contains("popular", e.ToString(), StringComparison.Ordinal);
    }
}
