namespace RecoFlow.Recommendations.Events;

/// <summary>
/// Compact interaction with dense integer ids, as consumed by recommenders in hot loops (see <c>EncodedLog</c>).
/// </summary>
public readonly record struct FeedbackEvent(int User, int Item, InteractionType Type, float Value, long TimestampMs)
{
    public bool IsPositive => InteractionTypes.IsPositive(Type, Value);
}
