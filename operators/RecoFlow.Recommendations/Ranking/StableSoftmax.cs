using System.Numerics.Tensors;

namespace RecoFlow.Recommendations.Ranking;

/// <summary>
/// Softmax through <see cref="TensorPrimitives.SoftMax{T}(ReadOnlySpan{T}, Span{T})"/> after subtracting the largest
/// score: the same probabilities, but a score far above the others (e^x overflows float beyond x ≈ 88) gives 1, not NaN.
/// </summary>
public static class StableSoftmax
{
    /// <summary>Writes softmax(<paramref name="scores"/>) into <paramref name="destination"/> (same length; may be the same span).</summary>
    public static void Compute(ReadOnlySpan<float> scores, Span<float> destination)
    {
        if (scores.IsEmpty) return;
        TensorPrimitives.Subtract(scores, TensorPrimitives.Max(scores), destination);
        TensorPrimitives.SoftMax(destination, destination);
    }
}
