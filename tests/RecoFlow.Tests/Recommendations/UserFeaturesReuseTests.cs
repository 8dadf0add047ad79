using RecoFlow.Api.Operators;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Users;
using RecoFlow.Runtime.State;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Recommendations;

/// <summary>
/// <see cref="UserFeaturesFunction"/> copies a user's features once per event: the features after one event serve as
/// the features before the user's next one while nothing changed the state in between, and are computed afresh when
/// something did (a session that ended, history that left the window, a restore).
/// </summary>
public sealed class UserFeaturesReuseTests
{
    private const long T0 = 1_700_000_000_000;

    private static OperatorHarness<UserEvent, ProfiledEvent> Harness()
    {
        var catalog = RecommendationOperatorTests.Catalog();
        return new OperatorHarness<UserEvent, ProfiledEvent>(
            () => new KeyedProcessOperator<string, UserEvent, ProfiledEvent>(e => e.UserKey, new UserFeaturesFunction(() => catalog)), typeof(string)).Open();
    }

    [Fact]
    public void The_features_after_an_event_are_the_features_before_the_next_while_the_state_is_unchanged()
    {
        using var h = Harness();
        h.ProcessElement(RecommendationChain.Event("u", "d1", InteractionType.Like, T0));
        h.ProcessElement(RecommendationChain.Event("v", "h1", InteractionType.Like, T0 + 1_000));
        h.ProcessElement(RecommendationChain.Event("u", "h2", InteractionType.Click, T0 + 60_000));
        var out_ = h.OutputValues;
        Assert.Same(out_[0].After, out_[2].Before);
        Assert.Equal(["d1"], out_[2].Before.RecentPositives);
        Assert.Equal(["h2", "d1"], out_[2].After.RecentPositives);
        // The record's features are its own: the next event does not change what an earlier record carried.
        Assert.Equal(["d1"], out_[0].After.RecentPositives);
        Assert.Equal(["d1"], out_[0].After.SessionItems);
    }

    [Fact]
    public void A_session_that_ended_or_history_that_left_the_window_gives_fresh_features_before_the_event()
    {
        using var h = Harness();
        h.ProcessElement(RecommendationChain.Event("u", "d1", InteractionType.Like, T0));
        h.ProcessElement(RecommendationChain.Event("u", "d2", InteractionType.View, T0 + 31 * 60_000));
        var afterGap = h.OutputValues[^1];
        Assert.NotSame(h.OutputValues[0].After, afterGap.Before);
        Assert.Empty(afterGap.Before.SessionItems);
        Assert.Equal(["d1"], h.OutputValues[0].After.SessionItems);

        h.ProcessElement(RecommendationChain.Event("u", "d3", InteractionType.View, T0 + 26 * 3_600_000L));
        var afterWindow = h.OutputValues[^1];
        Assert.Equal(0, afterWindow.Before.HistoryCount);
        Assert.Equal(1, afterWindow.After.HistoryCount);
    }

    [Fact]
    public void After_a_restore_the_features_before_the_event_are_computed_again_and_equal()
    {
        using var h = Harness();
        h.ProcessElement(RecommendationChain.Event("u", "d1", InteractionType.Like, T0));
        h.ProcessElement(RecommendationChain.Event("u", "h1", InteractionType.Like, T0 + 1_000));
        var last = h.OutputValues[^1].After;
        h.SnapshotAndRestore();
        h.ProcessElement(RecommendationChain.Event("u", "h2", InteractionType.Click, T0 + 2_000));
        var before = h.OutputValues[^1].Before;
        Assert.NotSame(last, before);
        Assert.Equal(last.RecentPositives, before.RecentPositives);
        Assert.Equal(last.SessionItems, before.SessionItems);
        Assert.Equal(last.BasketItems, before.BasketItems);
        Assert.Equal(last.CategoryAffinity, before.CategoryAffinity);
        Assert.Equal(last.HistoryCount, before.HistoryCount);
    }

    [Fact]
    public void The_remembered_features_are_not_part_of_the_serialised_state()
    {
        var state = new UserFeatureState { RecentPositives = ["a", "b"], Affinity = [0.5, 0.25], SessionItems = ["b"], LastEventMs = T0 };
        byte[] plain = StateSerializer.Serialize(state);
        state.LastFeatures = new UserFeatures(["b", "a"], [0.5, 0.25], ["b"], T0, 2);
        Assert.Equal(plain, StateSerializer.Serialize(state));
        Assert.Null(StateSerializer.Deserialize<UserFeatureState>(plain).LastFeatures);
    }
}
