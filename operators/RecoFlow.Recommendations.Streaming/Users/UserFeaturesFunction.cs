using System.Runtime.InteropServices;
using RecoFlow.Api.Functions;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Users;

/// <summary>
/// Windowed user features, keyed by (pseudonymised) user. Per event it updates, in event time:
/// the recent history (a sliding window, 24 h by default: items older than the window before the event are evicted),
/// the session (a session window: a gap longer than 30 min starts a new one), the category affinities (decayed per
/// positive event and by time, the implicit-signal weight spread over the item's categories; dislikes subtract) and
/// the latest positive items.
/// <para>Emits, per event, a <see cref="ProfiledEvent"/> with the features before and after it; and on
/// <see cref="ItemFeedbackOutput"/> the input of the item model task: one record for the event's item (with the
/// user's previous positives to link with, when positive) and one edge-only record per linked item.</para>
/// <para>Erasure (opt-out): an <see cref="UserEvent.IsErasure"/> event clears all keyed state of its user and is passed
/// on (so scoring clears too); later events of that user timestamped at or before the erasure are dropped (counter
/// <c>erased-dropped</c>), which covers replays after a restore. <paramref name="erasedUsers"/> gives the erasures
/// recorded so far (the erasure log); they are applied whenever the function opens, after the state was restored.</para>
/// <para>Expiry: a user with no event for <see cref="UserFeatureOptions.StateTimeToLive"/> of event time (365 days by
/// default) is forgotten: one event-time timer per user (re-armed when it finds the user active since) clears the
/// user's state here and sends an <see cref="UserEvent.IsExpiry"/> record on, so scoring forgets the user too. The
/// end of a bounded input (the watermark at its maximum) expires no one, so a final checkpoint keeps every user.</para>
/// <para>State: one <see cref="UserFeatureState"/> per user. Windows are kept as bounded lists in keyed state rather
/// than as window operators because every event needs the features at that instant, not when a window fires.</para>
/// </summary>
public sealed class UserFeaturesFunction(Func<ItemCatalog> catalog, UserFeatureOptions? options = null, Func<IReadOnlyDictionary<string, long>>? erasedUsers = null)
    : KeyedProcessFunction<string, UserEvent, ProfiledEvent>
{
    public static readonly OutputTag<ItemFeedback> ItemFeedbackOutput = new("item-feedback");
    public static readonly ValueStateDescriptor<UserFeatureState> StateDescriptor = new("user-features");

    /// <summary>How many of the latest session and basket items a record's features carry.</summary>
    public const int FeatureItems = 10;

    private readonly UserFeatureOptions _o = options ?? new UserFeatureOptions();
    private IValueState<UserFeatureState>? _state;
    private ItemCatalog _catalog = new();
    private IKeyedStateBackend<string>? _backend;
    private Dictionary<string, long> _erased = new(StringComparer.Ordinal);

    public override void OpenState(IKeyedStateBackend<string> state)
    {
        _backend = state;
        _state = state.GetValueState(StateDescriptor);
    }

    public override void Open()
    {
        _catalog = catalog();
        _erased = Erasures.Apply(erasedUsers, _backend!);
    }

    public override void ProcessElement(UserEvent value, IKeyedProcessContext<string> context, ICollector<ProfiledEvent> output)
    {
        if (value.IsErasure)
        {
            Erasures.Record(_erased, value);
            _backend!.ClearKey(value.UserKey);
            Runtime.Metrics.Increment("erasures");
            output.Collect(new ProfiledEvent(value, UserFeatures.Empty, UserFeatures.Empty));
            return;
        }
        if (Erasures.Covers(_erased, value))
        {
            Runtime.Metrics.Increment("erased-dropped");
            return;
        }
        var s = _state!.Value ?? new UserFeatureState { Affinity = new double[_catalog.CategoryNames.Count] };
        if (s.Affinity.Length < _catalog.CategoryNames.Count)
        {
            s.Affinity = [.. s.Affinity, .. new double[_catalog.CategoryNames.Count - s.Affinity.Length]];
            s.LastFeatures = null;
        }
        long t = value.TimestampMs;
        if (Evict(s, t)) s.LastFeatures = null;
        // Records never change their features, so the user's last ones serve again while the state is unchanged.
        var before = s.LastFeatures ?? Features(s);
        if (value.IsRequest)
        {
            s.LastFeatures = before;
            output.Collect(new ProfiledEvent(value, before, before));
            return;
        }

        // History (sliding window) and session (gap).
        s.HistoryItems.Add(value.ItemId);
        s.HistoryTimestamps.Add(t);
        if (s.HistoryItems.Count > _o.MaxHistoryItems)
        {
            s.HistoryItems.RemoveAt(0);
            s.HistoryTimestamps.RemoveAt(0);
        }
        if (s.SessionItems.Count == 0 || t - s.LastEventMs > (long)_o.EffectiveSessionGap.TotalMilliseconds)
        {
            s.SessionItems.Clear();
            s.SessionStartMs = t;
        }
        s.SessionItems.Add(value.ItemId);
        if (s.BasketItems.Count == 0 || t != s.BasketTimestampMs)
        {
            s.BasketItems.Clear();
            s.BasketTimestampMs = t;
        }
        if (s.BasketItems.Count < _o.MaxSessionItems) s.BasketItems.Add(value.ItemId);
        if (s.SessionItems.Count > _o.MaxSessionItems) s.SessionItems.RemoveAt(0);
        s.LastEventMs = Math.Max(s.LastEventMs, t);

        // Category affinity.
        int[] cats = _catalog.CategoryIds(value.ItemId);
        if (cats.Length > 0 && (value.IsPositive || value.Weight < 0))
        {
            if (s.AffinityTimestampMs != 0 && t > s.AffinityTimestampMs)
            {
                double f = Math.Pow(2, -(t - s.AffinityTimestampMs) / _o.EffectiveAffinityHalfLife.TotalMilliseconds);
                for (int c = 0; c < s.Affinity.Length; c++) s.Affinity[c] *= f;
            }
            s.AffinityTimestampMs = Math.Max(s.AffinityTimestampMs, t);
            double add = value.IsPositive ? 1.0 : Math.Max(value.Weight, -1.0);
            if (value.IsPositive)
                for (int c = 0; c < s.Affinity.Length; c++) s.Affinity[c] *= _o.CategoryDecayPerEvent;
            foreach (int c in cats) s.Affinity[c] = Math.Max(0, s.Affinity[c] + add / cats.Length);
        }

        // Item model input: the event's item, and co-visitation edges to the user's previous positives.
        if (value.IsPositive)
        {
            int window = Math.Min(_o.CoVisitationWindow, s.RecentPositives.Count);
            var co = new string[window];
            var w = LinkWeights(window);
            for (int d = 0; d < window; d++) co[d] = s.RecentPositives[s.RecentPositives.Count - 1 - d];
            context.Output(ItemFeedbackOutput, new ItemFeedback(value.ItemId, value.UserKey, value.Weight, true, t, co, w, false));
            // The reverse edges share one array of the event's item and the weights' one-element arrays (records never change them).
            string[]? self = null;
            for (int d = 0; d < window; d++)
                if (co[d] != value.ItemId)
                    context.Output(ItemFeedbackOutput, new ItemFeedback(co[d], value.UserKey, 0, true, t, self ??= [value.ItemId], LinkWeight(d), true));
            s.RecentPositives.Add(value.ItemId);
            int keep = Math.Max(_o.RecentPositives, _o.CoVisitationWindow);
            if (s.RecentPositives.Count > keep) s.RecentPositives.RemoveRange(0, s.RecentPositives.Count - keep);
        }
        else
        {
            context.Output(ItemFeedbackOutput, new ItemFeedback(value.ItemId, value.UserKey, value.Weight, false, t, [], [], false));
        }

        ArmExpiry(s, context.Timers);
        var after = Features(s);
        s.LastFeatures = after;
        _state.Update(s);
        output.Collect(new ProfiledEvent(value, before, after));
    }

    private long TimeToLiveMs => (long)_o.EffectiveStateTimeToLive.TotalMilliseconds;

    private void ArmExpiry(UserFeatureState s, ITimerRegistry timers)
    {
        if (TimeToLiveMs <= 0 || s.ExpiryTimerMs != 0) return;
        s.ExpiryTimerMs = s.LastEventMs + TimeToLiveMs;
        timers.RegisterEventTimeTimer(s.ExpiryTimerMs);
    }

    public override void OnTimer(long timestamp, IOnTimerContext<string> context, ICollector<ProfiledEvent> output)
    {
        // A timer of an earlier life of this user's state (before an erasure or expiry) is not the pending one.
        if (context.Domain != TimeDomain.EventTime || _state!.Value is not { } s || s.ExpiryTimerMs != timestamp) return;
        if (context.CurrentWatermark == Api.Time.Watermark.MaxWatermark) return;
        if (s.LastEventMs + TimeToLiveMs > timestamp)
        {
            s.ExpiryTimerMs = 0;
            ArmExpiry(s, context.Timers);
            _state.Update(s);
            return;
        }
        // The state alone: ClearKey would also scan every pending timer of the subtask for the user's.
        _state.Clear();
        Runtime.Metrics.Increment("users-expired");
        var expiry = UserEvent.Expiry(context.CurrentKey, timestamp);
        output.Collect(new ProfiledEvent(expiry, UserFeatures.Empty, UserFeatures.Empty));
    }

    // Link weights 1/(1 + distance): the same arrays for every record (read only downstream).
    private static readonly float[][] Prefixes = [.. Enumerable.Range(0, 33).Select(n => Enumerable.Range(0, n).Select(d => 1f / (1 + d)).ToArray())];
    private static readonly float[][] Singles = [.. Enumerable.Range(0, 32).Select(d => new[] { 1f / (1 + d) })];

    /// <summary>The weights of links to the <paramref name="window"/> latest positives, nearest first.</summary>
    private static float[] LinkWeights(int window) =>
        window < Prefixes.Length ? Prefixes[window] : [.. Enumerable.Range(0, window).Select(d => 1f / (1 + d))];

    private static float[] LinkWeight(int distance) => distance < Singles.Length ? Singles[distance] : [1f / (1 + distance)];

    /// <summary>Drops history older than the window and ends a session past its gap; true when that changed the user's features.</summary>
    private bool Evict(UserFeatureState s, long now)
    {
        long horizon = now - (long)_o.EffectiveHistoryWindow.TotalMilliseconds;
        int drop = 0;
        while (drop < s.HistoryTimestamps.Count && s.HistoryTimestamps[drop] < horizon) drop++;
        if (drop > 0)
        {
            s.HistoryItems.RemoveRange(0, drop);
            s.HistoryTimestamps.RemoveRange(0, drop);
        }
        bool sessionEnded = s.SessionItems.Count > 0 && now - s.LastEventMs > (long)_o.EffectiveSessionGap.TotalMilliseconds;
        if (sessionEnded) s.SessionItems.Clear();
        return drop > 0 || sessionEnded;
    }

    private UserFeatures Features(UserFeatureState s)
    {
        int n = Math.Min(_o.RecentPositives, s.RecentPositives.Count);
        var recent = new string[n];
        for (int j = 0; j < n; j++) recent[j] = s.RecentPositives[s.RecentPositives.Count - 1 - j];
        // A record carries the latest items of the session and basket only: scoring seeds from at most that many.
        int session = Math.Min(s.SessionItems.Count, FeatureItems), basket = Math.Min(s.BasketItems.Count, FeatureItems);
        return new UserFeatures(recent, (double[])s.Affinity.Clone(), CollectionsMarshal.AsSpan(s.SessionItems)[^session..].ToArray(), s.SessionStartMs, s.HistoryItems.Count)
        {
            BasketItems = CollectionsMarshal.AsSpan(s.BasketItems)[^basket..].ToArray(),
        };
    }
}
