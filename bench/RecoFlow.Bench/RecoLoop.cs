using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Ingest;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Recommendations.Streaming.Users;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Bench;

/// <summary>
/// The hand-written limit of the reco bench: the recommendation job's per-event work without the engine (no tasks, no
/// channels, no actors, no checkpoints), in one thread and in event order. The job's own operators
/// (<see cref="PrivacyAndContext"/> → <see cref="UserFeaturesFunction"/> → <see cref="ItemModelOperator"/> →
/// <see cref="ScoringFunction"/>, built as <see cref="RecommendationJob.Pipeline"/> builds them, with the same
/// settings) are opened on plain operator contexts with the heap keyed-state backend and wired by direct calls: each
/// user event goes to user features, whose item feedback goes straight to the item model (whose versions go straight
/// into scoring's broadcast input) and whose profiled event goes to scoring, whose list is formatted with
/// <see cref="RecommendationJob.ToJson(Recommendation)"/> and counted. A watermark (last timestamp − 1) follows every
/// <see cref="WatermarkEvery"/> events, as the source's per-poll watermark does.
/// </summary>
internal sealed class RecoLoop : IDisposable
{
    public const int WatermarkEvery = 1024;

    private readonly DeadLetterCollector _deadLetters = new();
    private readonly ProcessOperator<Interaction, UserEvent> _privacy;
    private readonly KeyedProcessOperator<string, UserEvent, ProfiledEvent> _users;
    private readonly ItemModelOperator _items;
    private readonly KeyedBroadcastProcessOperator<string, ProfiledEvent, ModelMessage, Recommendation> _scoring;
    private readonly ListCounter _lists = new();

    private RecoLoop(ItemCatalog catalog, RecommendationSettings settings)
    {
        var erased = settings.ErasedUsers();
        _privacy = new ProcessOperator<Interaction, UserEvent>(new PrivacyAndContext(settings.PseudonymKey, pseudonymize: settings.PseudonymizeUsers));
        _users = new KeyedProcessOperator<string, UserEvent, ProfiledEvent>(e => e.UserKey, new UserFeaturesFunction(() => catalog, settings.Users, erased));
        _items = new ItemModelOperator(settings.ItemModel);
        _scoring = new KeyedBroadcastProcessOperator<string, ProfiledEvent, ModelMessage, Recommendation>(e => e.Event.UserKey,
            new ScoringFunction(() => catalog, settings.Scoring, erased));
        Open(_scoring, "scoring", typeof(string), _lists);
        Open(_items, "item model", typeof(string), new VersionsToScoring(_scoring));
        Open(_users, "user features", typeof(string), new ProfiledToScoringAndItems(_scoring, _items));
        Open(_privacy, "privacy-context", null, new EventsToUsers(_users));
    }

    /// <summary>Runs <paramref name="events"/> through the operators; returns the lists emitted and their JSON characters.</summary>
    public static (long Lists, long JsonChars) Run(IReadOnlyList<Interaction> events, ItemCatalog catalog, RecommendationSettings settings)
    {
        using var loop = new RecoLoop(catalog, settings);
        long last = long.MinValue;
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            last = e.TimestampMs;
            loop._privacy.ProcessElement(e, last);
            if ((i + 1) % WatermarkEvery == 0) loop._privacy.ProcessWatermark(last - 1);
        }
        loop._privacy.ProcessWatermark(long.MaxValue);
        // End of input, upstream first (as the tasks finish): the item model publishes its pending changes.
        loop._privacy.Finish();
        loop._users.Finish();
        loop._items.Finish();
        loop._scoring.Finish();
        return (loop._lists.Lists, loop._lists.Chars);
    }

    private void Open<TOut>(StreamOperator<TOut> op, string name, Type? keyType, IOutput<TOut> output)
    {
        var context = new OperatorContext(name, name, 0, 1, 128, new Dictionary<string, string>(), WallClock.Instance, _deadLetters.For(name), keyType);
        op.Setup(context, output);
        op.InitializeState(context);
        op.Open();
    }

    public void Dispose()
    {
        _privacy.Dispose();
        _users.Dispose();
        _items.Dispose();
        _scoring.Dispose();
        _deadLetters.Dispose();
    }

    private sealed class EventsToUsers(KeyedProcessOperator<string, UserEvent, ProfiledEvent> users) : IOutput<UserEvent>
    {
        public void Collect(UserEvent value, long timestamp) => users.ProcessElement(value, timestamp);
        public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp) { }
        public void EmitWatermark(long watermark) => users.ProcessWatermark(watermark);
    }

    private sealed class ProfiledToScoringAndItems(KeyedBroadcastProcessOperator<string, ProfiledEvent, ModelMessage, Recommendation> scoring, ItemModelOperator items)
        : IOutput<ProfiledEvent>
    {
        public void Collect(ProfiledEvent value, long timestamp) => scoring.ProcessElement1(value, timestamp);

        public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp)
        {
            if (tag.Id == UserFeaturesFunction.ItemFeedbackOutput.Id && value is ItemFeedback feedback) items.ProcessElement(feedback, timestamp);
        }

        public void EmitWatermark(long watermark)
        {
            items.ProcessWatermark(watermark);
            scoring.ProcessWatermark(watermark);
        }
    }

    private sealed class VersionsToScoring(KeyedBroadcastProcessOperator<string, ProfiledEvent, ModelMessage, Recommendation> scoring) : IOutput<ModelDelta>
    {
        public void Collect(ModelDelta value, long timestamp) => scoring.ProcessElement2(ModelMessage.Publish(value), timestamp);
        public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp) { }
        public void EmitWatermark(long watermark) { }
    }

    /// <summary>The sink's work: each list as the job's JSON line, counted and dropped.</summary>
    private sealed class ListCounter : IOutput<Recommendation>
    {
        public long Lists { get; private set; }
        public long Chars { get; private set; }

        public void Collect(Recommendation value, long timestamp)
        {
            Lists++;
            Chars += RecommendationJob.ToJson(value).Length;
        }

        public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp) { }
        public void EmitWatermark(long watermark) { }
    }

    /// <summary>Processing time from the wall clock; the job's functions register no processing-time timers.</summary>
    private sealed class WallClock : IProcessingTimeService
    {
        public static readonly WallClock Instance = new();
        public long CurrentProcessingTime => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        public void RegisterTimer(long timestamp, Action<long> callback) => throw new NotSupportedException("the reco loop has no processing-time timers");
    }
}
