namespace RecoFlow.Recommendations.Streaming.Users;

/// <summary>Keyed state of <see cref="UserFeaturesFunction"/> for one user (MessagePack, contractless).</summary>
public sealed class UserFeatureState
{
    /// <summary>Latest positive items, oldest first.</summary>
    public List<string> RecentPositives { get; set; } = [];
    public double[] Affinity { get; set; } = [];
    public long AffinityTimestampMs { get; set; }
    public List<string> SessionItems { get; set; } = [];
    public long SessionStartMs { get; set; }
    public long LastEventMs { get; set; }
    public List<string> HistoryItems { get; set; } = [];
    public List<long> HistoryTimestamps { get; set; } = [];
    /// <summary>Items of the latest basket (the interactions at <see cref="BasketTimestampMs"/>), oldest first.</summary>
    public List<string> BasketItems { get; set; } = [];
    public long BasketTimestampMs { get; set; }
    /// <summary>The event time of the user's pending expiry timer; 0: none (<see cref="UserFeatureOptions.StateTimeToLive"/>).</summary>
    public long ExpiryTimerMs { get; set; }
}
