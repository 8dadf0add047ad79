namespace RecoFlow.Testing;

/// <summary>One input event of a replay, as the recall computation sees it: its id, user, item and whether it is positive.</summary>
internal sealed record ReplayedEvent(string EventId, string User, string Item, bool Positive);

/// <summary>Relevant events and hits of a replay; <see cref="Recall"/> is hits per relevant event (0 without any).</summary>
internal sealed record RecallResult(int Relevant, int Hits)
{
    public double Recall => Relevant == 0 ? 0 : (double)Hits / Relevant;

    /// <summary>|this − reference| / reference.</summary>
    public double RelativeDifference(RecallResult reference) => Math.Abs(Recall - reference.Recall) / reference.Recall;

    public override string ToString() => FormattableString.Invariant($"recall@K {Recall:F4} ({Hits} hits / {Relevant} relevant events)");
}

/// <summary>
/// Recall@K of the lists a recommendation job served, computed from its output alone. Relevant: a positive event of a
/// user on an item not among that user's earlier positives, when the user had an earlier positive (the scoring
/// function's rule for counting a list). Hit: the item is among the first K items of the list emitted for the
/// user's previous event (in input order). A relevant event whose previous event has no list counts as a miss.
/// </summary>
internal static class ListRecall
{
    public static RecallResult Compute(IEnumerable<ReplayedEvent> events, IReadOnlyDictionary<string, string[]> lists, int k = 10)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(lists);
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var positives = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        int relevant = 0, hits = 0;
        foreach (var e in events)
        {
            positives.TryGetValue(e.User, out var earlier);
            if (e.Positive && earlier is { Count: > 0 } && !earlier.Contains(e.Item))
            {
                relevant++;
                if (previous.TryGetValue(e.User, out var before) && lists.TryGetValue(before, out var list) && list.Take(k).Contains(e.Item, StringComparer.Ordinal))
                    hits++;
            }
            if (e.Positive)
            {
                if (earlier is null) positives[e.User] = earlier = new HashSet<string>(StringComparer.Ordinal);
                earlier.Add(e.Item);
            }
            previous[e.User] = e.EventId;
        }
        return new RecallResult(relevant, hits);
    }
}
