using System.Runtime.Serialization;
using RecoFlow.Recommendations.Streaming.Records;

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

    /// <summary>
    /// The features the user's last record carried after its event, while nothing changed the state since (null when
    /// something did; transient: never serialised, so null after a restore or with a backend that stores bytes). They
    /// are also the next event's features before it, so an event copies the user's features once instead of twice.
    /// </summary>
    [IgnoreDataMember]
    public UserFeatures? LastFeatures { get; set; }
}
