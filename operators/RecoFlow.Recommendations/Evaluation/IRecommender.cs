using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Evaluation;

/// <summary>
/// A recommender that learns online. Calls are never concurrent. Ids are dense non-negative integers
/// (see <see cref="EncodedLog"/>); a streaming wrapper keeps the string↔int mapping.
/// </summary>
public interface IRecommender
{
    /// <summary>Short name for reports.</summary>
    string Name { get; }

    /// <summary>Updates the model with one event (positive or not).</summary>
    void Learn(in FeedbackEvent e);

    /// <summary>
    /// Writes up to <paramref name="k"/> item ids for <paramref name="user"/>, best first, into
    /// <paramref name="destination"/> (length ≥ k), never any id in <paramref name="exclude"/>. <paramref name="nowMs"/>
    /// is the time of the request (for time-decayed signals). Returns how many ids were written.
    /// </summary>
    int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination);
}
