using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Push;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Push;

/// <summary>
/// What <see cref="PushSubscriptionsFunction"/> reads, keyed by user: exactly one of a subscription change, a new list
/// of the user, or the user's erasure.
/// </summary>
public sealed record PushInput(string UserKey, PushSubscriptionChange? Change = null, Recommendation? List = null, ErasureRequest? Erasure = null)
{
    public static PushInput Of(PushSubscriptionChange change) => new(change.UserKey, Change: change);
    public static PushInput Of(Recommendation list) => new(list.UserKey, List: list);
    public static PushInput Of(ErasureRequest erasure) => new(erasure.UserKey, Erasure: erasure);
}
