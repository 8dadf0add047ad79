using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Features;

/// <summary>
/// Turns interactions into implicit-feedback weights. Defaults: purchase 5 &gt; add_to_cart 3 &gt; like 2 &gt; click 1 &gt;
/// long dwell (≥ <see cref="LongDwellSeconds"/>) / deep scroll (≥ <see cref="DeepScrollDepth"/>) 0.5 &gt; view 0.1; shorter
/// dwell and shallower scroll count as a view; dislike −2. Ratings map linearly around the neutral value 3:
/// w = (rating − 3) · <see cref="RatingSlope"/>, so 5★ → 2, 4★ → 1, 3★ → 0, 0.5★ → −2.5.
/// </summary>
public sealed record ImplicitSignalWeights(
    double Purchase = 5,
    double AddToCart = 3,
    double Like = 2,
    double Click = 1,
    double Engaged = 0.5,
    double View = 0.1,
    double Dislike = -2,
    double LongDwellSeconds = 30,
    double DeepScrollDepth = 0.75,
    double RatingSlope = 1.0)
{
    public double Weight(InteractionType type, double? value) => type switch
    {
        InteractionType.Purchase => Purchase,
        InteractionType.AddToCart => AddToCart,
        InteractionType.Like => Like,
        InteractionType.Click => Click,
        InteractionType.View => View,
        InteractionType.Dislike => Dislike,
        InteractionType.Dwell => (value ?? 0) >= LongDwellSeconds ? Engaged : View,
        InteractionType.Scroll => (value ?? 0) >= DeepScrollDepth ? Engaged : View,
        InteractionType.Rating => ((value ?? 3) - 3) * RatingSlope,
        _ => 0,
    };
}
