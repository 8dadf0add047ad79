using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Streaming.Records;

/// <summary>
/// A decision of a scoring subtask's diversity loop (<see cref="DiversityController"/>) on
/// <see cref="Scoring.ScoringFunction.DiversityOutput"/>: a new θ version ("adjusted", with the audit window's ILD that
/// led to it), a rollback to a kept version ("rollback") or the loop let go again ("resume").
/// </summary>
/// <param name="Version">The θ version (per subtask, counting from 1 for the initial θ).</param>
/// <param name="Theta">The DPP's θ from now on.</param>
/// <param name="WindowIld">The mean ILD of the audit window when the version was set (NaN for the initial one).</param>
/// <param name="Target">The ILD the loop holds.</param>
/// <param name="Lists">Lists audited by the subtask so far.</param>
public sealed record DiversityRecord(long Version, double Theta, double WindowIld, double Target, long Lists, string Reason, int Subtask, long AtMs)
{
    /// <summary>The record of a kept version.</summary>
    public static DiversityRecord Of(DiversityVersion v, double target, string reason, int subtask, long atMs)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new DiversityRecord(v.Version, v.Theta, v.WindowIld, target, v.Lists, reason, subtask, atMs);
    }
}
