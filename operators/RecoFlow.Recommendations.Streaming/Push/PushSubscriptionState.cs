namespace RecoFlow.Recommendations.Streaming.Push;

/// <summary>Keyed state of <see cref="PushSubscriptionsFunction"/> for one subscribed user (MessagePack, contractless).</summary>
public sealed class PushSubscriptionState
{
    public string Endpoint { get; set; } = "";
    public string P256dh { get; set; } = "";
    public string Auth { get; set; } = "";

    /// <summary>When the user gave this subscription (the edge's clock): an erasure at or after it removes it.</summary>
    public long SubscribedAtMs { get; set; }

    /// <summary>The head of the user's latest list, best first (empty before the first list since subscribing).</summary>
    public string[] PreviousItems { get; set; } = [];
}
