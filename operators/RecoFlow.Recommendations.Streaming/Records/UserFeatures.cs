namespace RecoFlow.Recommendations.Streaming.Records;

/// <summary>
/// What the job knows about a user at one instant (a copy, safe to send downstream):
/// <see cref="RecentPositives"/> most recent first; <see cref="CategoryAffinity"/> dense over the catalogue's category
/// ids (time-decayed); <see cref="SessionItems"/> the latest items (at most ten) of the current session (30 min gap by
/// default), oldest first; <see cref="HistoryCount"/> the number of interactions in the sliding history window (24 h by default; the
/// items themselves stay in the user's keyed state rather than being copied into every record).
/// </summary>
public sealed record UserFeatures(
    string[] RecentPositives,
    double[] CategoryAffinity,
    string[] SessionItems,
    long SessionStartMs,
    int HistoryCount)
{
    /// <summary>The items of the user's latest basket: every interaction with the timestamp of the latest one (one order, one page view burst), oldest first.</summary>
    public string[] BasketItems { get; init; } = [];

    public static UserFeatures Empty { get; } = new([], [], [], 0, 0);
}

/// <summary>An interaction with the user's features just before and just after it.</summary>
public sealed record ProfiledEvent(UserEvent Event, UserFeatures Before, UserFeatures After);

/// <summary>
/// Input of the item model task, keyed by <see cref="ItemId"/>. A full record carries the interaction (popularity,
/// factors, replay) and the user's previous positive items to link with (<see cref="CoItems"/>, weights aligned);
/// an edge-only record (<see cref="EdgeOnly"/>) carries just the reverse co-visitation edges for another item.
/// </summary>
public sealed record ItemFeedback(
    string ItemId,
    string UserKey,
    double Weight,
    bool IsPositive,
    long TimestampMs,
    string[] CoItems,
    float[] CoWeights,
    bool EdgeOnly);
