using RecoFlow.Api.Functions;
using RecoFlow.Api.State;
using RecoFlow.Recommendations.Push;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Push;

/// <summary>
/// Web Push subscriptions in keyed state by user, and the push candidates they make. A subscription change (from
/// the interactions topic, <see cref="PushSubscriptionChange"/>) sets or removes the user's subscription; the latest
/// change wins, by its time. For each new list of a subscribed user (trigger interaction or request) it emits a
/// <see cref="PushCandidate"/> with the user's previous list, and keeps the head of the new one
/// (<paramref name="keepItems"/> items): the edge's push sink decides from the two whether the top item changed
/// materially. Lists of users without a subscription cost one state lookup and leave nothing behind.
/// <para>Erasure: the user's erasure removes a subscription given at or before it, and a change timestamped at or
/// before a known erasure is dropped (a replay after a restore). <paramref name="erasedUsers"/> gives the erasures
/// recorded so far (the erasure log); they are applied whenever the function opens, after the state was restored, so
/// a checkpoint taken before an erasure does not bring the subscription back.</para>
/// </summary>
public sealed class PushSubscriptionsFunction(Func<IReadOnlyDictionary<string, long>>? erasedUsers = null, int keepItems = PushSubscriptionsFunction.DefaultKeepItems)
    : KeyedProcessFunction<string, PushInput, PushCandidate>
{
    public const int DefaultKeepItems = 10;
    public static readonly ValueStateDescriptor<PushSubscriptionState> StateDescriptor = new("push-subscription");

    private readonly int _keep = keepItems > 0 ? keepItems : throw new ArgumentOutOfRangeException(nameof(keepItems), "at least 1");
    private IKeyedStateBackend<string>? _backend;
    private IValueState<PushSubscriptionState>? _state;
    private Dictionary<string, long> _erased = new(StringComparer.Ordinal);

    public override void OpenState(IKeyedStateBackend<string> state)
    {
        _backend = state;
        _state = state.GetValueState(StateDescriptor);
    }

    public override void Open()
    {
        _erased = new Dictionary<string, long>(erasedUsers?.Invoke() ?? new Dictionary<string, long>(), StringComparer.Ordinal);
        if (_erased.Count == 0) return;
        // Only subscribed users have state here: check each against the log (few, unlike the log's users).
        foreach (var user in _backend!.Keys(StateDescriptor.Name).ToList())
        {
            if (!_erased.TryGetValue(user, out var at)) continue;
            _backend.CurrentKey = user;
            if (_state!.Value is { } s && s.SubscribedAtMs <= at) _backend.ClearKey(user);
        }
    }

    public override void ProcessElement(PushInput value, IKeyedProcessContext<string> context, ICollector<PushCandidate> output)
    {
        if (value.Erasure is { } erasure) Erase(erasure.UserKey, erasure.ErasedAtMs);
        else if (value.Change is { } change) Apply(change);
        else if (value.List is { } list) Candidate(list, output);
    }

    private void Erase(string user, long at)
    {
        _erased[user] = Math.Max(at, _erased.GetValueOrDefault(user, long.MinValue));
        if (_state!.Value is { } s && s.SubscribedAtMs <= at)
        {
            _backend!.ClearKey(user);
            Runtime.Metrics.Increment("push-subscriptions-erased");
        }
    }

    private void Apply(PushSubscriptionChange change)
    {
        if (_erased.TryGetValue(change.UserKey, out var erasedAt) && change.AtMs <= erasedAt)
        {
            Runtime.Metrics.Increment("erased-dropped");
            return;
        }
        var s = _state!.Value;
        if (s is not null && s.SubscribedAtMs > change.AtMs) return; // an older change arriving late
        if (change.Subscription is not { } sub)
        {
            if (s is not null) _state.Clear();
            Runtime.Metrics.Increment("push-unsubscribed");
            return;
        }
        s ??= new PushSubscriptionState();
        s.Endpoint = sub.Endpoint;
        s.P256dh = sub.P256dh;
        s.Auth = sub.Auth;
        s.SubscribedAtMs = change.AtMs;
        _state.Update(s);
        Runtime.Metrics.Increment("push-subscribed");
    }

    private void Candidate(Recommendation list, ICollector<PushCandidate> output)
    {
        if (list.Trigger is not (ListTrigger.Interaction or ListTrigger.Request)) return;
        if (_state!.Value is not { } s) return;
        var head = list.Items.Length <= _keep ? list.Items : list.Items[.._keep];
        output.Collect(new PushCandidate(list.UserKey, new WebPushSubscription(s.Endpoint, s.P256dh, s.Auth), s.PreviousItems, list.Items,
            list.ModelVersion, list.EventId, list.EventTimestampMs));
        s.PreviousItems = [.. head];
        _state.Update(s);
    }
}
