using RecoFlow.Api.Operators;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Recommendations.Streaming.Users;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Recommendations;

/// <summary>
/// Event-time order (job parameter <c>order=event-time</c>): the item model and the scoring give the same output
/// whatever the interleaving of their inputs (two upstream tasks, versions arriving early or late), across a
/// snapshot and restore; in arrival order they do not.
/// </summary>
public sealed class EventTimeOrderTests
{
    private const long T0 = 1_700_000_040_000;
    private static readonly ItemCatalog Catalog = RecommendationChain.GenreCatalog(secondGenreEvery: 4);

    /// <summary>Clicks of 12 users in rounds a few minutes apart (several publish boundaries), with ties in time between users.</summary>
    private static List<UserEvent> Replay()
    {
        var rng = new Random(5);
        var events = new List<UserEvent>();
        long t = T0;
        for (int round = 0; round < 6; round++)
        {
            for (int n = 0; n < 30; n++)
            {
                int u = rng.Next(12);
                int g = rng.Next(4) == 0 ? rng.Next(4) : u % 4;
                if (rng.Next(3) > 0) t += 1_000; // else the same second as the previous event
                events.Add(RecommendationChain.Event($"u{u}", $"{RecommendationChain.Genres[g]}{rng.Next(12)}", rng.Next(5) == 0 ? InteractionType.View : InteractionType.Click, t));
            }
            t += 100_000 + rng.Next(60_000);
        }
        return events;
    }

    /// <summary>The user features' outputs for <see cref="Replay"/>: the scoring's input and the item model's.</summary>
    private static (List<ProfiledEvent> Profiled, List<ItemFeedback> Feedback) Profile()
    {
        using var users = new OperatorHarness<UserEvent, ProfiledEvent>(
            () => new KeyedProcessOperator<string, UserEvent, ProfiledEvent>(e => e.UserKey, new UserFeaturesFunction(() => Catalog)), typeof(string)).Open();
        foreach (var e in Replay()) users.ProcessElement(e, e.TimestampMs);
        return (users.OutputValues.ToList(), users.SideOutput(UserFeaturesFunction.ItemFeedbackOutput).Select(f => f.Value).ToList());
    }

    /// <summary>
    /// Feeds <paramref name="feedback"/> as two upstream tasks would (users of even and odd number), merged by
    /// <paramref name="pick"/>; after some records a watermark below every record still to come; a snapshot and restore
    /// after record <paramref name="restoreAt"/>. Returns the versions, described.
    /// </summary>
    private static List<string> RunItemModel(List<ItemFeedback> feedback, bool eventTime, Random pick, int? restoreAt)
    {
        var lanes = feedback.GroupBy(f => int.Parse(f.UserKey[1..], System.Globalization.CultureInfo.InvariantCulture) % 2).Select(g => new Queue<ItemFeedback>(g)).ToArray();
        using var h = new OperatorHarness<ItemFeedback, ModelDelta>(
            () => new ItemModelOperator(new ItemModelOptions(PublishInterval: TimeSpan.FromMinutes(1), EventTimeOrder: eventTime)), typeof(string)).Open();
        int sent = 0;
        while (lanes.Any(l => l.Count > 0))
        {
            var lane = lanes.Where(l => l.Count > 0).ElementAt(pick.Next(lanes.Count(l => l.Count > 0)));
            var f = lane.Dequeue();
            h.ProcessElement(f, f.TimestampMs);
            if (++sent == restoreAt) h.SnapshotAndRestore();
            if (pick.Next(4) == 0) h.ProcessWatermark(lanes.Select(l => l.Count > 0 ? l.Peek().TimestampMs : long.MaxValue).Min() - 1);
        }
        h.ProcessWatermark(long.MaxValue);
        h.Finish();
        return h.OutputValues.Select(d => $"{d.Version}@{d.CutMs}:" + string.Join(";", d.Items.OrderBy(e => e.ItemId, StringComparer.Ordinal)
            .Select(e => $"{e.ItemId}|{e.LogPopularity}|{string.Join(",", e.Factors ?? [])}|{string.Join(",", e.Neighbours ?? [])}"))).ToList();
    }

    [Fact]
    public void The_item_model_in_event_time_order_publishes_the_same_versions_for_any_interleaving_of_its_inputs_and_across_a_restore()
    {
        var (_, feedback) = Profile();
        var first = RunItemModel(feedback, eventTime: true, new Random(1), restoreAt: null);
        Assert.True(first.Count >= 5, $"expected a version per round, got {first.Count}");
        Assert.Equal(first, RunItemModel(feedback, eventTime: true, new Random(2), restoreAt: 70));
        Assert.Equal(first, RunItemModel(feedback, eventTime: true, new Random(3), restoreAt: 131));

        // In arrival order the interleaving shows in the versions.
        Assert.NotEqual(RunItemModel(feedback, eventTime: false, new Random(1), restoreAt: null), RunItemModel(feedback, eventTime: false, new Random(2), restoreAt: null));
    }

    /// <summary>Each item's latest published popularity (rounded), over versions in order.</summary>
    private static Dictionary<string, double> FinalPopularity(IEnumerable<ModelDelta> deltas)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var d in deltas.OrderBy(d => d.CutMs).ThenBy(d => d.Version))
            foreach (var e in d.Items)
                if (e.LogPopularity is double p) result[e.ItemId] = Math.Round(p, 9);
        return result;
    }

    [Fact]
    public void The_item_model_rescaled_from_one_subtask_to_two_learns_every_waiting_record_once_on_the_subtask_of_its_item()
    {
        var (_, feedback) = Profile();
        var options = new ItemModelOptions(PublishInterval: TimeSpan.FromMinutes(1), EventTimeOrder: true);
        using var straight = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(options), typeof(string)).Open();
        foreach (var f in feedback) straight.ProcessElement(f, f.TimestampMs);
        straight.ProcessWatermark(long.MaxValue);
        straight.Finish();

        int half = feedback.Count / 2;
        long watermark = feedback[half / 2].TimestampMs;
        Assert.Contains(feedback.Take(half), f => f.TimestampMs > watermark); // records wait in the trainer state at the snapshot
        using var before = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(options), typeof(string)).Open();
        foreach (var f in feedback.Take(half)) before.ProcessElement(f, f.TimestampMs);
        before.ProcessWatermark(watermark);
        var snapshot = before.Snapshot();

        // As the restore planner hands it out: every subtask gets the keyed state (it keeps its key groups) and the union list.
        var halves = Enumerable.Range(0, 2)
            .Select(i => new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(options), typeof(string), parallelism: 2, subtask: i).Open(snapshot)).ToList();
        static bool Owns(OperatorHarness<ItemFeedback, ModelDelta> h, string item) => ((RecoFlow.Api.State.IKeyedStateBackend<string>)h.Context.KeyedBackend!).OwnsKey(item);
        foreach (var f in feedback.Skip(half)) halves.Single(h => Owns(h, f.ItemId)).ProcessElement(f, f.TimestampMs);
        foreach (var h in halves)
        {
            h.ProcessWatermark(long.MaxValue);
            h.Finish();
        }

        var after = halves.SelectMany(h => h.OutputValues).ToList();
        Assert.All(halves, h => Assert.All(h.OutputValues, d => Assert.All(d.Items, e => Assert.True(Owns(h, e.ItemId), $"{e.ItemId} published by a subtask that does not own it"))));
        Assert.All(after, d => Assert.True(d.Version > before.OutputValues.Max(v => v.Version), "versions continue after the restored ones"));
        Assert.Equal(FinalPopularity(straight.OutputValues), FinalPopularity(before.OutputValues.Concat(after)));
    }

    /// <summary>
    /// Feeds the scoring the profiled events in batches of <paramref name="batch"/>, the versions either before the
    /// events that need them (<paramref name="versionsEarly"/>) or only just before the watermark that needs them, a
    /// watermark after each batch, and a snapshot and restore after batch <paramref name="restoreAt"/>.
    /// </summary>
    private static List<string> RunScoring(List<ProfiledEvent> profiled, List<ModelDelta> deltas, bool eventTime, int batch, bool versionsEarly, int? restoreAt)
    {
        using var h = new TwoInputOperatorHarness<ProfiledEvent, ModelMessage, Recommendation>(
            () => new KeyedBroadcastProcessOperator<string, ProfiledEvent, ModelMessage, Recommendation>(e => e.Event.UserKey,
                new ScoringFunction(() => Catalog, new ScoringOptions(EventTimeOrder: eventTime))), typeof(string)).Open();
        int nextDelta = 0;
        void VersionsUpTo(long cut)
        {
            for (; nextDelta < deltas.Count && deltas[nextDelta].CutMs <= cut; nextDelta++) h.ProcessElement2(ModelMessage.Publish(deltas[nextDelta]), deltas[nextDelta].CutMs - 1);
        }
        for (int b = 0; b * batch < profiled.Count; b++)
        {
            var events = profiled.Skip(b * batch).Take(batch).ToList();
            foreach (var p in events)
            {
                if (versionsEarly) VersionsUpTo(p.Event.TimestampMs);
                h.ProcessElement1(p, p.Event.TimestampMs);
            }
            // Every event at or before the watermark and every version cut at or before it + 1 has been delivered.
            long watermark = events[^1].Event.TimestampMs - 1;
            VersionsUpTo(watermark + 1);
            h.ProcessWatermark(watermark);
            if (b == restoreAt) h.SnapshotAndRestore();
        }
        VersionsUpTo(long.MaxValue);
        h.ProcessWatermark(long.MaxValue);
        return h.OutputValues.Select(r => $"{r.EventId}:{r.ModelVersion}:{string.Join(",", r.Items)}:{string.Join(",", r.Scores)}").ToList();
    }

    [Fact]
    public void The_scoring_in_event_time_order_serves_the_same_lists_whenever_the_versions_arrive_and_across_a_restore()
    {
        var (profiled, feedback) = Profile();
        List<ModelDelta> deltas;
        using (var items = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(new ItemModelOptions(PublishInterval: TimeSpan.FromMinutes(1))), typeof(string)).Open())
        {
            foreach (var f in feedback) items.ProcessElement(f, f.TimestampMs);
            items.Finish();
            deltas = [.. items.OutputValues];
        }
        Assert.True(deltas.Count >= 5, $"expected a version per round, got {deltas.Count}");

        var early = RunScoring(profiled, deltas, eventTime: true, batch: 1, versionsEarly: true, restoreAt: null);
        Assert.Equal(profiled.Count, early.Count);
        Assert.Contains(early, l => !l.Split(':')[1].Equals("0", StringComparison.Ordinal));
        Assert.Equal(early, RunScoring(profiled, deltas, eventTime: true, batch: 7, versionsEarly: false, restoreAt: 9));
        Assert.Equal(early, RunScoring(profiled, deltas, eventTime: true, batch: 25, versionsEarly: false, restoreAt: 3));

        // In arrival order, versions that come late change the lists.
        Assert.NotEqual(RunScoring(profiled, deltas, eventTime: false, batch: 1, versionsEarly: true, restoreAt: null),
            RunScoring(profiled, deltas, eventTime: false, batch: 25, versionsEarly: false, restoreAt: null));
    }
}
