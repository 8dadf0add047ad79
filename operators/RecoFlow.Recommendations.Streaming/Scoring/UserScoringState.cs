using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>Keyed state of <see cref="ScoringFunction"/> for one user (MessagePack, contractless).</summary>
public sealed class UserScoringState
{
    /// <summary>The user's factors, folded in online against the served item factors; null until the first positive on a known item.</summary>
    public float[]? Factors { get; set; }
    /// <summary>Distinct positive items.</summary>
    public HashSet<string> Positives { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Every item the user interacted with (for exclusion).</summary>
    public HashSet<string> Seen { get; set; } = new(StringComparer.Ordinal);
    public string[]? LastServed { get; set; }
    public long LastServedVersion { get; set; }
    public ulong RngState { get; set; }
    /// <summary>With calibrated DPP relevance: the user's context and the features of the list last served, waiting for the user's next positive event.</summary>
    public HitCalibratorUser? Calibration { get; set; }
}
