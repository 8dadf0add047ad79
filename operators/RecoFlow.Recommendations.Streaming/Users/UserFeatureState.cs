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
    /// The features the user's last record carried after its event (transient: never serialised; null after a restore
    /// or with a backend that stores bytes). While the state is unchanged they are also the next event's features
    /// before it, so an event copies the user's features once instead of twice.
    /// </summary>
    [IgnoreDataMember]
    private UserFeatures? _lastFeatures;

    /// <summary>The features last emitted for this state, when nothing changed it since (<see cref="Remember"/>).</summary>
    [IgnoreDataMember]
    public UserFeatures? LastFeatures => _lastFeatures;

    /// <summary>Notes <paramref name="features"/> as this state's features now; null: the state changed.</summary>
    public void Remember(UserFeatures? features) => _lastFeatures = features;
}
