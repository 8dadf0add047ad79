using RecoFlow.Api.Operators;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Recommendations.Streaming.Users;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Recommendations;

/// <summary>Every piece of the recommendation job's per-user state has a bound: inactive users expire, seen items are capped, ids are short.</summary>
public sealed class StateBoundsTests
{
    private const long T0 = 1_700_000_000_000;
    private const long Day = 86_400_000;

    private static OperatorHarness<UserEvent, ProfiledEvent> UserFeaturesHarness(TimeSpan ttl)
    {
        var catalog = RecommendationOperatorTests.Catalog();
        return new OperatorHarness<UserEvent, ProfiledEvent>(
            () => new KeyedProcessOperator<string, UserEvent, ProfiledEvent>(e => e.UserKey,
                new UserFeaturesFunction(() => catalog, new UserFeatureOptions(StateTimeToLive: ttl))), typeof(string));
    }

    private static List<string> Users(OperatorHarness<UserEvent, ProfiledEvent> h) =>
        [.. h.Context.GetKeyedStateBackend<string>().Keys(UserFeaturesFunction.StateDescriptor.Name).Order(StringComparer.Ordinal)];

    private static List<string> Expired(OperatorHarness<UserEvent, ProfiledEvent> h) =>
        [.. h.OutputValues.Where(o => o.Event.IsExpiry).Select(o => o.Event.UserKey)];

    [Fact]
    public void An_inactive_user_is_forgotten_after_the_time_to_live_and_an_active_one_is_not()
    {
        using var h = UserFeaturesHarness(TimeSpan.FromDays(7)).Open();
        h.ProcessElement(RecommendationChain.Event("idle", "d1", InteractionType.Click, T0), T0);
        h.ProcessElement(RecommendationChain.Event("active", "d2", InteractionType.Click, T0), T0);
        h.ProcessElement(RecommendationChain.Event("active", "h1", InteractionType.Click, T0 + 5 * Day), T0 + 5 * Day);
        // The pending timers are part of the snapshot.
        h.SnapshotAndRestore();
        h.ProcessWatermark(T0 + 7 * Day);
        Assert.Equal(["idle"], Expired(h));
        Assert.Equal(["active"], Users(h));
        var expiry = h.OutputValues.Single(o => o.Event.IsExpiry);
        Assert.Equal(T0 + 7 * Day, expiry.Event.TimestampMs);

        // The active user's timer was re-armed at its last event + 7 days.
        h.ProcessWatermark(T0 + 12 * Day - 1);
        Assert.Equal(["idle"], Expired(h));
        h.ProcessWatermark(T0 + 12 * Day);
        Assert.Equal(["idle", "active"], Expired(h));
        Assert.Empty(Users(h));

        // A forgotten user who comes back starts afresh.
        h.ProcessElement(RecommendationChain.Event("idle", "h2", InteractionType.Click, T0 + 13 * Day), T0 + 13 * Day);
        Assert.Empty(h.OutputValues[^1].Before.RecentPositives);
        Assert.Equal(["idle"], Users(h));
    }

    [Fact]
    public void The_end_of_a_bounded_input_expires_no_one_so_the_final_checkpoint_keeps_every_user()
    {
        using var h = UserFeaturesHarness(TimeSpan.FromDays(7)).Open();
        h.ProcessElement(RecommendationChain.Event("u", "d1", InteractionType.Click, T0), T0);
        h.ProcessWatermark(global::RecoFlow.Api.Time.Watermark.MaxWatermark);
        Assert.Empty(Expired(h));
        Assert.Equal(["u"], Users(h));
    }

    [Fact]
    public void A_zero_time_to_live_keeps_users_for_ever()
    {
        using var h = UserFeaturesHarness(TimeSpan.Zero).Open();
        h.ProcessElement(RecommendationChain.Event("u", "d1", InteractionType.Click, T0), T0);
        h.ProcessWatermark(T0 + 10_000 * Day);
        Assert.Empty(Expired(h));
        Assert.Equal(["u"], Users(h));
    }

    [Fact]
    public void Scoring_forgets_an_expired_user_and_emits_no_list_for_the_expiry()
    {
        var catalog = RecommendationOperatorTests.Catalog();
        using var chain = new RecommendationChain(catalog);
        chain.Send(RecommendationChain.Event("u", "d1", InteractionType.Click, T0));
        chain.Send(RecommendationChain.Event("u", "d2", InteractionType.Click, T0 + 60_000));
        var backend = chain.Scoring.Context.GetKeyedStateBackend<string>();
        Assert.Contains("u", backend.Keys(ScoringFunction.UserDescriptor.Name));
        int lists = chain.Scoring.OutputValues.Count;

        chain.Scoring.ProcessElement1(new ProfiledEvent(UserEvent.Expiry("u", T0 + 31 * Day), RecoFlow.Recommendations.Streaming.Records.UserFeatures.Empty, RecoFlow.Recommendations.Streaming.Records.UserFeatures.Empty), T0 + 31 * Day);
        Assert.Equal(lists, chain.Scoring.OutputValues.Count);
        Assert.DoesNotContain("u", backend.Keys(ScoringFunction.UserDescriptor.Name));
        Assert.DoesNotContain("u", backend.Keys(ScoringFunction.LatestDescriptor.Name));
    }

    [Fact]
    public void Scoring_remembers_at_most_the_bound_of_seen_items_oldest_forgotten_first()
    {
        var state = new UserScoringState();
        for (int i = 0; i < 1_000; i++) state.Remember($"i{i}", positive: i % 2 == 0, maxSeen: 100);
        Assert.InRange(state.Seen.Count, 100, 100 + 100 / 8);
        Assert.Equal(state.Seen.Count, state.SeenOrder.Count);
        Assert.Contains("i999", state.Seen);
        Assert.DoesNotContain("i0", state.Seen);
        Assert.DoesNotContain("i0", state.Positives);
        Assert.True(state.Positives.IsSubsetOf(state.Seen));

        // State written before the order was kept: the order is rebuilt from the set.
        var old = new UserScoringState { Seen = new(Enumerable.Range(0, 150).Select(i => $"o{i}"), StringComparer.Ordinal) };
        old.Remember("new", positive: true, maxSeen: 100);
        Assert.Equal(100, old.Seen.Count);
        Assert.Contains("new", old.Seen);
    }

    [Fact]
    public void The_item_model_forgets_the_factors_of_users_without_a_positive_event_for_the_time_to_live()
    {
        var s = new ItemTrainerState();
        long ttl = 8 * Day;
        UserFactorExpiry.Touch(s, "old", T0);
        s.UserFactors["old"] = new float[4];
        Assert.Equal(0, UserFactorExpiry.Sweep(s, T0, ttl)); // the first call only schedules the sweep
        UserFactorExpiry.Touch(s, "new", T0 + 7 * Day);
        s.UserFactors["new"] = new float[4];
        Assert.Equal(0, UserFactorExpiry.Sweep(s, T0 + Day, ttl)); // not due before a quarter of the time to live
        Assert.Equal(1, UserFactorExpiry.Sweep(s, T0 + 9 * Day, ttl));
        Assert.Equal(["new"], s.UserFactors.Keys);
        Assert.Equal(["new"], s.UserSeenMs.Keys);
    }

    [Fact]
    public void The_item_model_keeps_the_bounds_across_a_snapshot()
    {
        using var h = new OperatorHarness<ItemFeedback, ModelDelta>(
            () => new ItemModelOperator(new ItemModelOptions(PublishInterval: TimeSpan.FromMinutes(1), UserTimeToLive: TimeSpan.FromDays(8))), typeof(string)).Open();
        h.ProcessElement(new ItemFeedback("d1", "old", 1, true, T0, [], [], false), T0);
        h.ProcessElement(new ItemFeedback("d2", "new", 1, true, T0 + 7 * Day, [], [], false), T0 + 7 * Day);
        h.SnapshotAndRestore();
        h.ProcessElement(new ItemFeedback("d3", "new", 1, true, T0 + 9 * Day, [], [], false), T0 + 9 * Day);
        var trainer = h.Context.OperatorState.GetUnionListState<ItemTrainerState>("item-trainer")[0];
        Assert.Equal(["new"], trainer.UserFactors.Keys);
    }

    [Fact]
    public void Ids_longer_than_the_bound_are_refused_with_the_field_named()
    {
        var parser = new InteractionParser();
        string longId = new('x', InteractionParser.MaxIdLength + 1);
        var result = parser.Parse($$"""{"event_id":"e1","user_id":"u1","item_id":"{{longId}}","type":"click","ts":1700000000000}""");
        Assert.Null(result.Event);
        Assert.Equal(ParseErrorKind.ValueOutOfRange, result.Error!.Kind);
        Assert.Equal("item_id", result.Error.Field);
        Assert.NotNull(parser.Parse($$"""{"event_id":"e1","user_id":"u1","item_id":"{{longId[1..]}}","type":"click","ts":1700000000000}""").Event);
    }
}
