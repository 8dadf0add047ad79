namespace RecoFlow.Recommendations.Streaming.Users;

/// <summary>Settings of <see cref="UserFeaturesFunction"/>; defaults follow the issue (24 h history, 30 min session gap).</summary>
/// <param name="RecentPositives">How many of the user's latest positive items are kept (seeds for co-visitation).</param>
/// <param name="CoVisitationWindow">A positive item is linked to this many of the user's previous positive items, weight 1/(1+distance).</param>
/// <param name="CategoryDecayPerEvent">Affinities are multiplied by this at each positive event before the new item's categories are added.</param>
/// <param name="AffinityHalfLife">Affinities also halve with this much event time.</param>
/// <param name="StateTimeToLive">A user with no event for this much event time is forgotten: their keyed state in user features and scoring is removed (zero: never). Bounds the number of users the job keeps.</param>
public sealed record UserFeatureOptions(
    int RecentPositives = 10,
    int CoVisitationWindow = 10,
    double CategoryDecayPerEvent = 0.9,
    TimeSpan? AffinityHalfLife = null,
    TimeSpan? HistoryWindow = null,
    TimeSpan? SessionGap = null,
    int MaxHistoryItems = 200,
    int MaxSessionItems = 50,
    TimeSpan? StateTimeToLive = null)
{
    public TimeSpan EffectiveAffinityHalfLife => AffinityHalfLife ?? TimeSpan.FromDays(30);
    public TimeSpan EffectiveHistoryWindow => HistoryWindow ?? TimeSpan.FromHours(24);
    public TimeSpan EffectiveSessionGap => SessionGap ?? TimeSpan.FromMinutes(30);
    public TimeSpan EffectiveStateTimeToLive => StateTimeToLive ?? TimeSpan.FromDays(365);
}
