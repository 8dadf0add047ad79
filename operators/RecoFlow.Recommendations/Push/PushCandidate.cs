namespace RecoFlow.Recommendations.Push;

/// <summary>
/// A new list of a user who has a Web Push subscription, as the recommendation job hands it to the edge's push sink,
/// which decides whether to notify (the user's top item changed materially, no open WebSocket, not pushed too
/// recently) and sends it.
/// </summary>
/// <param name="UserKey">The user's pseudonym.</param>
/// <param name="Subscription">Where and how to push (the latest the user gave).</param>
/// <param name="PreviousItems">The user's previous list (empty when this is the first since subscribing).</param>
/// <param name="Items">The new list, best first.</param>
/// <param name="ModelVersion">The model version that scored it.</param>
/// <param name="EventId">The event it answers (a stable id for the push message's topic).</param>
/// <param name="EventTimestampMs">That event's time.</param>
public sealed record PushCandidate(string UserKey, WebPushSubscription Subscription, string[] PreviousItems, string[] Items,
    long ModelVersion, string EventId, long EventTimestampMs);
