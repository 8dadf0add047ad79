using RecoFlow.Recommendations.Edge.Push;

namespace RecoFlow.Server.Tests.Push;

/// <summary>When a new list makes a push notification: top item changed materially, no open WebSocket, not too often.</summary>
public sealed class PushDecisionTests
{
    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Theory]
    [InlineData(new[] { "a", "b", "c", "d" }, new[] { "d", "a" }, true)]   // new top was 4th: beyond the top 3
    [InlineData(new[] { "a", "b", "c", "d" }, new[] { "c", "a" }, false)]  // new top was 3rd
    [InlineData(new[] { "a", "b", "c" }, new[] { "a", "x", "y" }, false)]  // same top, the rest changed
    [InlineData(new string[0], new[] { "a" }, true)]                        // first list since subscribing
    [InlineData(new[] { "a" }, new string[0], false)]                       // an empty list tells nothing
    public void A_material_change_is_a_new_top_item_outside_the_previous_top_three(string[] previous, string[] current, bool material) =>
        Assert.Equal(material, PushDecision.IsMaterialChange(previous, current, 3));

    [Fact]
    public void A_user_with_an_open_websocket_is_not_notified()
    {
        var decision = new PushDecision(3, TimeSpan.FromMinutes(30));
        Assert.Equal(PushVerdict.SocketOpen, decision.Decide("u", ["a", "b"], ["z"], socketOpen: true));
        // The skipped list did not use the user's interval up.
        Assert.Equal(PushVerdict.Push, decision.Decide("u", ["a", "b"], ["z"], socketOpen: false));
    }

    [Fact]
    public void Not_material_comes_before_the_other_checks() =>
        Assert.Equal(PushVerdict.NotMaterial, new PushDecision(3, TimeSpan.Zero).Decide("u", ["a", "b"], ["b"], socketOpen: true));

    [Fact]
    public void At_most_one_push_per_user_per_interval()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var decision = new PushDecision(3, TimeSpan.FromMinutes(30), time);
        Assert.Equal(PushVerdict.Push, decision.Decide("u", [], ["a"], false));
        Assert.Equal(PushVerdict.Push, decision.Decide("v", [], ["a"], false));
        time.Now += TimeSpan.FromMinutes(29);
        Assert.Equal(PushVerdict.RateLimited, decision.Decide("u", ["a"], ["z"], false));
        time.Now += TimeSpan.FromMinutes(1);
        Assert.Equal(PushVerdict.Push, decision.Decide("u", ["a"], ["z"], false));
        decision.Forget("u");
        Assert.Equal(PushVerdict.Push, decision.Decide("u", ["z"], ["y"], false));
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PushDecision(0, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PushDecision(3, TimeSpan.FromSeconds(-1)));
    }
}
