namespace RecoFlow.Recommendations.Events;

/// <summary>Why a raw event was rejected; drives dead-letter routing.</summary>
public enum ParseErrorKind
{
    /// <summary>Not valid JSON (or not UTF-8, or nested deeper than <see cref="InteractionParser.MaxDepth"/>), or the top level is not an object.</summary>
    MalformedJson,
    /// <summary>A required field is absent or null.</summary>
    MissingField,
    /// <summary>A field has the wrong JSON type (e.g. a string where a number is required).</summary>
    WrongType,
    /// <summary>The "type" field names no known interaction type.</summary>
    UnknownType,
    /// <summary>A number is outside its allowed range (rating, dwell, scroll depth, lat/lon).</summary>
    ValueOutOfRange,
    /// <summary>The timestamp is neither a non-negative epoch-millisecond integer nor ISO-8601 with an offset.</summary>
    BadTimestamp,
    /// <summary>A field that the schema does not define (only when unknown fields are disallowed).</summary>
    UnknownField,
    /// <summary>The event is larger than <see cref="InteractionParser.MaxEventBytes"/>.</summary>
    TooLarge,
}

/// <summary>A precise rejection: the kind, the JSON path of the offending field, and a human-readable message.</summary>
public sealed record InteractionParseError(ParseErrorKind Kind, string Field, string Message)
{
    public override string ToString() => $"{Kind} at '{Field}': {Message}";
}

/// <summary>Either a parsed <see cref="Interaction"/> or an <see cref="InteractionParseError"/>.</summary>
public readonly record struct InteractionParseResult(Interaction? Event, InteractionParseError? Error)
{
    public bool IsSuccess => Event is not null;

    public static InteractionParseResult Ok(Interaction e) => new(e, null);

    public static InteractionParseResult Fail(ParseErrorKind kind, string field, string message) =>
        new(null, new InteractionParseError(kind, field, message));
}
