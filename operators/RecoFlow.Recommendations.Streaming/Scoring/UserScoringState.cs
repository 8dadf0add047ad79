using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>Keyed state of <see cref="ScoringFunction"/> for one user (MessagePack, contractless).</summary>
public sealed class UserScoringState
{
    /// <summary>The user's factors, folded in online against the served item factors; null until the first positive on a known item.</summary>
    public float[]? Factors { get; set; }
    /// <summary>Distinct positive items.</summary>
    public HashSet<string> Positives { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The user's latest distinct items (for exclusion), at most <see cref="ScoringOptions.MaxSeenItems"/>; <see cref="Positives"/> is a subset.</summary>
    public HashSet<string> Seen { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The items of <see cref="Seen"/> in the order they were first seen (the oldest are forgotten first).</summary>
    public List<string> SeenOrder { get; set; } = [];
    public string[]? LastServed { get; set; }
    public long LastServedVersion { get; set; }
    public ulong RngState { get; set; }
    /// <summary>With calibrated DPP relevance: the user's context and the features of the list last served, waiting for the user's next positive event.</summary>
    public HitCalibratorUser? Calibration { get; set; }

    /// <summary>A new user's state, its random stream seeded from the job's seed and the user's key (the same in every process).</summary>
    public static UserScoringState New(string userKey, ulong seed) => new() { RngState = seed ^ StableHash(userKey) };

    /// <summary>FNV-1a over the UTF-16 code units: the same in every process (unlike string.GetHashCode).</summary>
    private static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) h = (h ^ c) * 1099511628211UL;
        return h;
    }

    /// <summary>
    /// Remembers <paramref name="item"/> as seen (and positive when <paramref name="positive"/>). Beyond
    /// <paramref name="maxSeen"/> items the oldest are forgotten, an eighth of the bound at a time, so the cost per
    /// event stays constant.
    /// </summary>
    public void Remember(string item, bool positive, int maxSeen)
    {
        if (SeenOrder.Count != Seen.Count) SeenOrder = [.. Seen]; // state written before the order was kept
        if (Seen.Add(item)) SeenOrder.Add(item);
        if (positive) Positives.Add(item);
        if (maxSeen <= 0 || Seen.Count <= maxSeen + maxSeen / 8) return;
        int drop = Seen.Count - maxSeen;
        for (int j = 0; j < drop; j++)
        {
            Seen.Remove(SeenOrder[j]);
            Positives.Remove(SeenOrder[j]);
        }
        SeenOrder.RemoveRange(0, drop);
    }
}
