using RecoFlow.Api.Operators;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Ingest;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Recommendations.Streaming.Users;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Recommendations;

public sealed class RecommendationOperatorTests
{
    private const long T0 = 1_700_000_000_000;

    internal static ItemCatalog Catalog()
    {
        var c = new ItemCatalog();
        for (int i = 0; i < 20; i++) c.Add(new CatalogItem($"d{i}", $"Drama {i}", ["Drama"]));
        for (int i = 0; i < 20; i++) c.Add(new CatalogItem($"h{i}", $"Horror {i}", ["Horror"]));
        c.Add(new CatalogItem("x-new", "New horror", ["Horror"]));
        return c;
    }

    [Fact]
    public void Validation_sends_bad_events_to_the_dead_letter_output_and_keeps_good_ones()
    {
        using var h = new OperatorHarness<string, Interaction>(() => new ProcessOperator<string, Interaction>(new ValidateInteractions())).Open();
        h.ProcessElement("""{"event_id":"e1","user_id":"u1","item_id":"i1","type":"click","ts":1700000000000}""");
        h.ProcessElement("{not json");
        h.ProcessElement("""{"event_id":"e2","user_id":"u1","item_id":"i1","type":"teleport","ts":1700000000000}""");
        h.SnapshotAndRestore();
        h.ProcessElement("""{"event_id":"e3","user_id":"u1","item_id":"i2","type":"rating","value":4.5,"ts":"2023-11-14T22:13:20Z"}""");
        Assert.Equal(["e1", "e3"], h.OutputValues.Select(e => e.EventId));
        var rejected = h.SideOutput(ValidateInteractions.Rejected);
        Assert.Equal(2, rejected.Count);
        Assert.Contains("MalformedJson", rejected[0].Value.Reason);
        Assert.Contains("UnknownType", rejected[1].Value.Reason);
        Assert.Equal(2, h.DeadLetters.Count);
    }

    [Fact]
    public void Privacy_drops_events_without_consent_strips_raw_location_and_pseudonymises_users()
    {
        var key = "a-test-key-of-32-bytes-length!!!"u8.ToArray();
        using var h = new OperatorHarness<Interaction, UserEvent>(() => new ProcessOperator<Interaction, UserEvent>(new PrivacyAndContext(key))).Open();
        var ctx = new InteractionContext(Timezone: "Europe/Berlin", Lat: 52.52, Lon: 13.40, Ip: "203.0.113.9", UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1");
        h.ProcessElement(new Interaction("e1", "alice", "i1", InteractionType.Click, null, T0, ctx, Consent.Granted));
        h.ProcessElement(new Interaction("e2", "bob", "i1", InteractionType.Click, null, T0, ctx, Consent.Denied));
        h.SnapshotAndRestore();
        h.ProcessElement(new Interaction("e3", "alice", "i2", InteractionType.Purchase, null, T0 + 1, InteractionContext.Empty, Consent.Granted));
        var out1 = h.OutputValues;
        Assert.Equal(["e1", "e3"], out1.Select(e => e.EventId));
        Assert.NotEqual("alice", out1[0].UserKey);
        Assert.Equal(out1[0].UserKey, out1[1].UserKey);
        Assert.NotNull(out1[0].Context.GridCell);
        Assert.Equal("mobile", out1[0].Context.DeviceType);
        Assert.InRange(out1[0].Context.HourSin * out1[0].Context.HourSin + out1[0].Context.HourCos * out1[0].Context.HourCos, 0.999, 1.001);
        Assert.DoesNotContain("203.0.113.9", System.Text.Json.JsonSerializer.Serialize(out1[0]));
        Assert.Equal(5, out1[1].Weight);
    }

    [Fact]
    public void User_features_keep_sessions_history_and_affinities_across_a_snapshot()
    {
        var catalog = Catalog();
        using var h = new OperatorHarness<UserEvent, ProfiledEvent>(
            () => new KeyedProcessOperator<string, UserEvent, ProfiledEvent>(e => e.UserKey, new UserFeaturesFunction(() => catalog)), typeof(string)).Open();
        h.ProcessElement(RecommendationChain.Event("u", "d1", InteractionType.Click, T0));
        h.ProcessElement(RecommendationChain.Event("u", "h1", InteractionType.Like, T0 + 60_000));
        h.SnapshotAndRestore();
        h.ProcessElement(RecommendationChain.Event("u", "h2", InteractionType.Click, T0 + 120_000));
        var last = h.OutputValues[^1];
        Assert.Equal(["h1", "d1"], last.Before.RecentPositives);
        Assert.Equal(["h2", "h1", "d1"], last.After.RecentPositives);
        Assert.Equal(["d1", "h1", "h2"], last.After.SessionItems);
        int drama = catalog.CategoryIds("d1")[0], horror = catalog.CategoryIds("h1")[0];
        Assert.True(last.After.CategoryAffinity[horror] > last.After.CategoryAffinity[drama]);

        // A gap of more than 30 minutes starts a new session; more than 24 h empties the history window.
        h.ProcessElement(RecommendationChain.Event("u", "d2", InteractionType.View, T0 + 120_000 + 31 * 60_000));
        Assert.Equal(["d2"], h.OutputValues[^1].After.SessionItems);
        h.ProcessElement(RecommendationChain.Event("u", "d3", InteractionType.View, T0 + 26 * 3_600_000L));
        Assert.Equal(1, h.OutputValues[^1].After.HistoryCount);

        // The item model's input: the event's item linked to earlier positives, and the reverse edges.
        var feedback = h.SideOutput(UserFeaturesFunction.ItemFeedbackOutput).Select(f => f.Value).ToList();
        var h2 = feedback.Single(f => f.ItemId == "h2" && !f.EdgeOnly);
        Assert.Equal(["h1", "d1"], h2.CoItems);
        Assert.Contains(feedback, f => f.ItemId == "d1" && f.EdgeOnly && f.CoItems.SequenceEqual(["h2"]));
    }

    [Fact]
    public void Item_model_publishes_versions_at_interval_boundaries_and_restores_to_the_same_result()
    {
        static List<ModelDelta> Run(bool snapshotHalfway)
        {
            using var h = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(new ItemModelOptions(PublishInterval: TimeSpan.FromMinutes(1))), typeof(string)).Open();
            for (int i = 0; i < 40; i++)
            {
                if (snapshotHalfway && i == 20) h.SnapshotAndRestore();
                long ts = T0 + i * 10_000L;
                h.ProcessElement(new ItemFeedback($"i{i % 7}", $"u{i % 5}", 1, true, ts, i > 0 ? [$"i{(i - 1) % 7}"] : [], i > 0 ? [1f] : [], false), ts);
            }
            h.Finish();
            return h.OutputValues.ToList();
        }

        var plain = Run(false);
        var restored = Run(true);
        Assert.True(plain.Count >= 6, $"expected a version per minute, got {plain.Count}");
        Assert.Equal(Enumerable.Range(1, plain.Count).Select(v => (long)v), plain.Select(d => d.Version));
        Assert.All(plain.SkipLast(1), d => Assert.Equal(0, d.CutMs % 60_000));
        Assert.Equal(T0 + 39 * 10_000L + 1, plain[^1].CutMs);
        Assert.Equal(plain.Select(Describe), restored.Select(Describe));
    }

    [Fact]
    public void Item_model_publishes_a_recent_popularity_that_forgets_faster_than_the_popularity()
    {
        var options = new ItemModelOptions(PublishInterval: TimeSpan.FromMinutes(1), PopularityHalfLifeDays: 180, RecentPopularityHalfLifeDays: 14);
        using var h = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(options), typeof(string)).Open();
        const long Day = 86_400_000L;
        // "old" bought 4 times 60 days before "new" is bought twice.
        for (int i = 0; i < 4; i++) h.ProcessElement(new ItemFeedback("old", $"u{i}", 1, true, T0 + i, [], [], false), T0 + i);
        for (int i = 0; i < 2; i++) h.ProcessElement(new ItemFeedback("new", $"v{i}", 1, true, T0 + 60 * Day + i, [], [], false), T0 + 60 * Day + i);
        h.Finish();

        ItemEntry Last(string item) => h.OutputValues.SelectMany(d => d.Items).Last(e => e.ItemId == item && e.LogPopularity is not null);
        var (old, recent) = (Last("old"), Last("new"));
        Assert.NotNull(old.LogRecentPopularity);
        Assert.NotNull(recent.LogRecentPopularity);
        // Log₂ domain of forward decay: the difference is log₂ of the ratio of the two items' decayed counts.
        Assert.Equal(Math.Log2(2.0 / 4) + 60.0 / 180, recent.LogPopularity!.Value - old.LogPopularity!.Value, 6); // the long memory: old still ahead
        Assert.Equal(Math.Log2(2.0 / 4) + 60.0 / 14, recent.LogRecentPopularity!.Value - old.LogRecentPopularity!.Value, 6); // the short one: new far ahead
    }

    private static string Describe(ModelDelta d) =>
        $"{d.Version}@{d.CutMs}:" + string.Join(";", d.Items.Select(e => $"{e.ItemId}|{e.LogPopularity}|{string.Join(",", e.Factors ?? [])}|{string.Join(",", e.Neighbours ?? [])}|{string.Join(",", e.NeighbourUpdates ?? [])}|{string.Join(",", e.NeighbourUpdateLogWeights ?? [])}|{string.Join(",", e.NeighbourRemovals ?? [])}"));

    [Fact]
    public void Model_store_rolls_back_a_version_whose_online_hit_rate_drops_by_more_than_the_margin()
    {
        var store = new ModelStore();
        store.Enqueue(new ModelDelta { Version = 1, CutMs = 100, Items = [new ItemEntry { ItemId = "a", LogPopularity = 3 }] });
        store.Enqueue(new ModelDelta { Version = 2, CutMs = 200, Items = [new ItemEntry { ItemId = "a", LogPopularity = 5 }, new ItemEntry { ItemId = "b", LogPopularity = 4 }] });
        store.AdvanceTo(150);
        Assert.Equal(1, store.CurrentVersion);
        for (int i = 0; i < 100; i++) store.RecordServed(1, i % 2 == 0);
        store.AdvanceTo(250);
        Assert.Equal(2, store.CurrentVersion);
        for (int i = 0; i < 99; i++) store.RecordServed(2, i % 10 == 0);
        Assert.Null(store.CheckAutomaticRollback(0.05, 100));
        store.RecordServed(2, false);
        Assert.Equal(2, store.CheckAutomaticRollback(0.05, 100));
        Assert.Equal(1, store.CurrentVersion);
        Assert.Equal(0, store.PopularityOf(store.IndexOf("b")));
        Assert.Equal(1.0, store.PopularityOf(store.IndexOf("a")), 6);
    }
}
