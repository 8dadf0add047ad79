using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Evaluation;

/// <summary>
/// An event log in evaluation order with dense ids: events stably sorted by timestamp (file order breaks ties);
/// users and items numbered 0, 1, … in order of first appearance in that order. <see cref="ItemCategories"/>[item]
/// holds the catalogue's sorted category ids (empty when the item is not in the catalogue).
/// </summary>
public sealed class EncodedLog
{
    private EncodedLog(FeedbackEvent[] events, string[] userIds, string[] itemIds, int[][] itemCategories, IReadOnlyList<string> categoryNames)
    {
        Events = events;
        UserIds = userIds;
        ItemIds = itemIds;
        ItemCategories = itemCategories;
        CategoryNames = categoryNames;
    }

    public IReadOnlyList<FeedbackEvent> Events { get; }

    public IReadOnlyList<string> UserIds { get; }

    public IReadOnlyList<string> ItemIds { get; }

    public IReadOnlyList<int[]> ItemCategories { get; }

    public IReadOnlyList<string> CategoryNames { get; }

    public int UserCount => UserIds.Count;

    public int ItemCount => ItemIds.Count;

    public int CategoryCount => CategoryNames.Count;

    public static EncodedLog Build(IReadOnlyList<Interaction> interactions, ItemCatalog? catalog)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        int n = interactions.Count;
        var order = new int[n];
        var ts = new long[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            ts[i] = interactions[i].TimestampMs;
        }

        Array.Sort(order, (a, b) => ts[a] != ts[b] ? ts[a].CompareTo(ts[b]) : a.CompareTo(b));
        var users = new Dictionary<string, int>(StringComparer.Ordinal);
        var items = new Dictionary<string, int>(StringComparer.Ordinal);
        var userIds = new List<string>();
        var itemIds = new List<string>();
        var events = new FeedbackEvent[n];
        for (int j = 0; j < n; j++)
        {
            Interaction e = interactions[order[j]];
            if (!users.TryGetValue(e.UserId, out int u))
            {
                u = userIds.Count;
                users.Add(e.UserId, u);
                userIds.Add(e.UserId);
            }

            if (!items.TryGetValue(e.ItemId, out int it))
            {
                it = itemIds.Count;
                items.Add(e.ItemId, it);
                itemIds.Add(e.ItemId);
            }

            events[j] = new FeedbackEvent(u, it, e.Type, (float)(e.Value ?? 0), e.TimestampMs);
        }

        var cats = new int[itemIds.Count][];
        for (int i = 0; i < cats.Length; i++) cats[i] = catalog?.CategoryIds(itemIds[i]) ?? [];
        return new EncodedLog(events, [.. userIds], [.. itemIds], cats, catalog?.CategoryNames ?? []);
    }
}
