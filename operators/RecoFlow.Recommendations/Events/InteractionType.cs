namespace RecoFlow.Recommendations.Events;

/// <summary>Kinds of user–item interaction carried by an <see cref="Interaction"/>.</summary>
public enum InteractionType : byte
{
    View = 0,
    Click = 1,
    AddToCart = 2,
    Purchase = 3,
    Like = 4,
    Dislike = 5,
    /// <summary>Explicit rating; value is the rating in [0.5, 5].</summary>
    Rating = 6,
    /// <summary>Time spent on the item; value is seconds (≥ 0).</summary>
    Dwell = 7,
    /// <summary>How far the user scrolled; value is depth in [0, 1].</summary>
    Scroll = 8,
}

/// <summary>Wire names (snake_case) of <see cref="InteractionType"/> and the positive-feedback rule.</summary>
public static class InteractionTypes
{
    /// <summary>Rating at or above which a rating counts as positive feedback.</summary>
    public const float PositiveRatingThreshold = 4.0f;

    public static string ToWireName(InteractionType type) => type switch
    {
        InteractionType.View => "view",
        InteractionType.Click => "click",
        InteractionType.AddToCart => "add_to_cart",
        InteractionType.Purchase => "purchase",
        InteractionType.Like => "like",
        InteractionType.Dislike => "dislike",
        InteractionType.Rating => "rating",
        InteractionType.Dwell => "dwell",
        InteractionType.Scroll => "scroll",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(string? name, out InteractionType type)
    {
        switch (name)
        {
            case "view": type = InteractionType.View; return true;
            case "click": type = InteractionType.Click; return true;
            case "add_to_cart": type = InteractionType.AddToCart; return true;
            case "purchase": type = InteractionType.Purchase; return true;
            case "like": type = InteractionType.Like; return true;
            case "dislike": type = InteractionType.Dislike; return true;
            case "rating": type = InteractionType.Rating; return true;
            case "dwell": type = InteractionType.Dwell; return true;
            case "scroll": type = InteractionType.Scroll; return true;
            default: type = default; return false;
        }
    }

    /// <summary>
    /// Positive feedback as used by the evaluation protocol: purchase, add_to_cart, like, click,
    /// or a rating of at least <see cref="PositiveRatingThreshold"/>.
    /// </summary>
    public static bool IsPositive(InteractionType type, float value) => type switch
    {
        InteractionType.Purchase or InteractionType.AddToCart or InteractionType.Like or InteractionType.Click => true,
        InteractionType.Rating => value >= PositiveRatingThreshold,
        _ => false,
    };
}
