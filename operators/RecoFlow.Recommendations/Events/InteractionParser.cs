using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RecoFlow.Recommendations.Events;

/// <summary>
/// Strict JSON parser for interaction events (System.Text.Json). Field names are snake_case:
/// <c>event_id, user_id, item_id, type, value, ts, context, consent</c>.
/// Rules:
/// <list type="bullet">
/// <item><c>event_id</c>, <c>user_id</c>, <c>item_id</c>: required, non-empty string or integer number.</item>
/// <item><c>type</c>: required string, one of view, click, add_to_cart, purchase, like, dislike, rating, dwell, scroll.</item>
/// <item><c>value</c>: required for rating (0.5–5), dwell (seconds, 0–86,400) and scroll (depth 0–1); optional finite number otherwise.</item>
/// <item><c>ts</c>: required; integer epoch milliseconds in [0, 32,503,680,000,000) (before year 3000) or an ISO-8601 string with an offset or Z.</item>
/// <item><c>context</c>: optional object; strings timezone, country, region, ip, device_type, os, browser, user_agent; numbers lat (−90..90), lon (−180..180).</item>
/// <item><c>consent</c>: optional object <c>{"personalization": bool, "location": bool}</c> (location optional, false when absent); absent means no consent.</item>
/// <item>Duplicate keys are malformed; unknown keys are rejected unless <see cref="AllowUnknownFields"/>.</item>
/// <item>Bounds: at most <see cref="MaxEventBytes"/> bytes of UTF-8 (else too_large) and <see cref="MaxDepth"/> levels of
/// nesting; text that is not UTF-8 (or holds lone surrogates) is malformed; ids (<c>event_id</c>, <c>user_id</c>,
/// <c>item_id</c>) of at most <see cref="MaxIdLength"/> characters (else value_out_of_range), which bounds the bytes the
/// job's per-user and per-item state holds per remembered id.</item>
/// </list>
/// The first violation found is reported. The parser never throws on its input: every rejection is an
/// <see cref="InteractionParseError"/>.
/// </summary>
public sealed class InteractionParser
{
    private const long MaxEpochMs = 32_503_680_000_000L;
    private const double MaxDwellSeconds = 86_400;

    /// <summary>The largest event accepted, in bytes of UTF-8: a real event is a few hundred bytes.</summary>
    public const int MaxEventBytes = 64 * 1024;

    /// <summary>The longest id accepted, in characters (UTF-16 code units).</summary>
    public const int MaxIdLength = 256;

    /// <summary>The deepest nesting accepted: the schema needs 2 (the event, its context or consent).</summary>
    public const int MaxDepth = 8;

    public InteractionParser(bool allowUnknownFields = false) => AllowUnknownFields = allowUnknownFields;

    public bool AllowUnknownFields { get; }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public InteractionParseResult Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxEventBytes) return TooLarge(json.Length);
        byte[] utf8;
        try { utf8 = StrictUtf8.GetBytes(json); }
        catch (EncoderFallbackException) { return InteractionParseResult.Fail(ParseErrorKind.MalformedJson, "$", "text holds a lone surrogate (not encodable as UTF-8)"); }
        return Parse(utf8);
    }

    public InteractionParseResult Parse(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > MaxEventBytes) return TooLarge(utf8Json.Length);
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json)) return InteractionParseResult.Fail(ParseErrorKind.MalformedJson, "$", "not valid UTF-8");
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = MaxDepth });
            if (!JsonDocument.TryParseValue(ref reader, out JsonDocument? parsed))
            {
                return InteractionParseResult.Fail(ParseErrorKind.MalformedJson, "$", "empty input");
            }

            doc = parsed;
            if (reader.Read())
            {
                doc.Dispose();
                return InteractionParseResult.Fail(ParseErrorKind.MalformedJson, "$", "trailing content after the JSON value");
            }
        }
        catch (JsonException ex)
        {
            return InteractionParseResult.Fail(ParseErrorKind.MalformedJson, "$", ex.Message);
        }

        using (doc)
        {
            try
            {
                return ParseRoot(doc.RootElement);
            }
            catch (InvalidOperationException ex)
            {
                // Strings that are valid UTF-8 but not valid JSON text once unescaped (e.g. an escaped lone surrogate).
                return InteractionParseResult.Fail(ParseErrorKind.MalformedJson, "$", ex.Message);
            }
        }
    }

    private static InteractionParseResult TooLarge(int size) =>
        InteractionParseResult.Fail(ParseErrorKind.TooLarge, "$", $"{size} bytes; an event may have at most {MaxEventBytes}");

    private InteractionParseResult ParseRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return InteractionParseResult.Fail(ParseErrorKind.MalformedJson, "$", "top-level value must be an object");
        }

        JsonElement eventId = default, userId = default, itemId = default, type = default, value = default, ts = default, context = default, consent = default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty p in root.EnumerateObject())
        {
            if (!seen.Add(p.Name))
            {
                return InteractionParseResult.Fail(ParseErrorKind.MalformedJson, p.Name, "duplicate key");
            }

            switch (p.Name)
            {
                case "event_id": eventId = p.Value; break;
                case "user_id": userId = p.Value; break;
                case "item_id": itemId = p.Value; break;
                case "type": type = p.Value; break;
                case "value": value = p.Value; break;
                case "ts": ts = p.Value; break;
                case "context": context = p.Value; break;
                case "consent": consent = p.Value; break;
                // The sender's proof of user_id (checked at capture; see docs/http-api.md): not part of the event.
                case "user_token": break;
                default:
                    if (!AllowUnknownFields)
                    {
                        return InteractionParseResult.Fail(ParseErrorKind.UnknownField, p.Name, "field is not part of the schema");
                    }

                    break;
            }
        }

        if (ReadId(eventId, "event_id", out string? eid) is { } e1) return e1;
        if (ReadId(userId, "user_id", out string? uid) is { } e2) return e2;
        if (ReadId(itemId, "item_id", out string? iid) is { } e3) return e3;

        if (IsAbsent(type)) return InteractionParseResult.Fail(ParseErrorKind.MissingField, "type", "required");
        if (type.ValueKind != JsonValueKind.String) return InteractionParseResult.Fail(ParseErrorKind.WrongType, "type", "must be a string");
        string typeName = type.GetString()!;
        if (!InteractionTypes.TryParse(typeName, out InteractionType kind))
        {
            return InteractionParseResult.Fail(ParseErrorKind.UnknownType, "type", $"unknown interaction type '{typeName}'");
        }

        double? val = null;
        bool valueRequired = kind is InteractionType.Rating or InteractionType.Dwell or InteractionType.Scroll;
        if (IsAbsent(value))
        {
            if (valueRequired)
            {
                return InteractionParseResult.Fail(ParseErrorKind.MissingField, "value", $"required for type '{typeName}'");
            }
        }
        else
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double v) || !double.IsFinite(v))
            {
                return InteractionParseResult.Fail(ParseErrorKind.WrongType, "value", "must be a finite number");
            }

            (double lo, double hi) = kind switch
            {
                InteractionType.Rating => (0.5, 5.0),
                InteractionType.Dwell => (0.0, MaxDwellSeconds),
                InteractionType.Scroll => (0.0, 1.0),
                _ => (double.NegativeInfinity, double.PositiveInfinity),
            };
            if (v < lo || v > hi)
            {
                return InteractionParseResult.Fail(ParseErrorKind.ValueOutOfRange, "value", $"{v.ToString(CultureInfo.InvariantCulture)} is outside [{lo.ToString(CultureInfo.InvariantCulture)}, {hi.ToString(CultureInfo.InvariantCulture)}] for type '{typeName}'");
            }

            val = v;
        }

        if (ReadTimestamp(ts, out long tsMs) is { } e4) return e4;

        InteractionContext ctx = InteractionContext.Empty;
        if (!IsAbsent(context))
        {
            if (ReadContext(context, out ctx) is { } e5) return e5;
        }

        Consent cons = Consent.Denied;
        if (!IsAbsent(consent))
        {
            if (consent.ValueKind != JsonValueKind.Object) return InteractionParseResult.Fail(ParseErrorKind.WrongType, "consent", "must be an object");
            bool? personalization = null;
            bool location = false;
            foreach (JsonProperty p in consent.EnumerateObject())
            {
                if (p.Name == "personalization")
                {
                    if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return InteractionParseResult.Fail(ParseErrorKind.WrongType, "consent.personalization", "must be a boolean");
                    }

                    personalization = p.Value.GetBoolean();
                }
                else if (p.Name == "location")
                {
                    if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                        return InteractionParseResult.Fail(ParseErrorKind.WrongType, "consent.location", "must be a boolean");
                    location = p.Value.GetBoolean();
                }
                else if (!AllowUnknownFields)
                {
                    return InteractionParseResult.Fail(ParseErrorKind.UnknownField, "consent." + p.Name, "field is not part of the schema");
                }
            }

            if (personalization is null) return InteractionParseResult.Fail(ParseErrorKind.MissingField, "consent.personalization", "required when consent is given");
            cons = Consent.Of(personalization.Value, location);
        }

        return InteractionParseResult.Ok(new Interaction(eid!, uid!, iid!, kind, val, tsMs, ctx, cons));
    }

    private static bool IsAbsent(JsonElement e) => e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;

    private static InteractionParseResult? ReadId(JsonElement e, string field, out string? id)
    {
        id = null;
        if (IsAbsent(e)) return InteractionParseResult.Fail(ParseErrorKind.MissingField, field, "required");
        if (e.ValueKind == JsonValueKind.String)
        {
            id = e.GetString();
            if (string.IsNullOrEmpty(id)) return InteractionParseResult.Fail(ParseErrorKind.MissingField, field, "must not be empty");
            if (id.Length > MaxIdLength)
                return InteractionParseResult.Fail(ParseErrorKind.ValueOutOfRange, field, $"must be at most {MaxIdLength} characters, got {id.Length}");
            return null;
        }

        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long n))
        {
            id = n.ToString(CultureInfo.InvariantCulture);
            return null;
        }

        return InteractionParseResult.Fail(ParseErrorKind.WrongType, field, "must be a string or an integer");
    }

    private static InteractionParseResult? ReadTimestamp(JsonElement e, out long tsMs)
    {
        tsMs = 0;
        if (IsAbsent(e)) return InteractionParseResult.Fail(ParseErrorKind.MissingField, "ts", "required");
        if (e.ValueKind == JsonValueKind.Number)
        {
            if (!e.TryGetInt64(out long n)) return InteractionParseResult.Fail(ParseErrorKind.BadTimestamp, "ts", "epoch milliseconds must be an integer");
            if (n < 0 || n >= MaxEpochMs) return InteractionParseResult.Fail(ParseErrorKind.BadTimestamp, "ts", "epoch milliseconds out of range");
            tsMs = n;
            return null;
        }

        if (e.ValueKind == JsonValueKind.String)
        {
            string s = e.GetString()!;
            if (!HasOffsetDesignator(s) ||
                !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset dto))
            {
                return InteractionParseResult.Fail(ParseErrorKind.BadTimestamp, "ts", $"'{s}' is not ISO-8601 with an offset or Z");
            }

            tsMs = dto.ToUnixTimeMilliseconds();
            if (tsMs < 0 || tsMs >= MaxEpochMs) return InteractionParseResult.Fail(ParseErrorKind.BadTimestamp, "ts", "timestamp out of range");
            return null;
        }

        return InteractionParseResult.Fail(ParseErrorKind.BadTimestamp, "ts", "must be an integer (epoch ms) or an ISO-8601 string");
    }

    /// <summary>ISO-8601 date-time with 'T' separator ending in Z or ±hh:mm / ±hhmm.</summary>
    private static bool HasOffsetDesignator(string s)
    {
        int t = s.IndexOf('T', StringComparison.Ordinal);
        if (t != 10 || s.Length < 17 || s[4] != '-' || s[7] != '-') return false;
        if (s[^1] == 'Z' || s[^1] == 'z') return true;
        int sign = s.LastIndexOfAny(['+', '-']);
        return sign > t;
    }

    private InteractionParseResult? ReadContext(JsonElement e, out InteractionContext ctx)
    {
        ctx = InteractionContext.Empty;
        if (e.ValueKind != JsonValueKind.Object) return InteractionParseResult.Fail(ParseErrorKind.WrongType, "context", "must be an object");
        string? timezone = null, country = null, region = null, ip = null, deviceType = null, os = null, browser = null, userAgent = null;
        double? lat = null, lon = null;
        foreach (JsonProperty p in e.EnumerateObject())
        {
            string path = "context." + p.Name;
            switch (p.Name)
            {
                case "lat":
                case "lon":
                {
                    if (IsAbsent(p.Value)) break;
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out double d) || !double.IsFinite(d))
                    {
                        return InteractionParseResult.Fail(ParseErrorKind.WrongType, path, "must be a number");
                    }

                    double limit = p.Name == "lat" ? 90 : 180;
                    if (d < -limit || d > limit) return InteractionParseResult.Fail(ParseErrorKind.ValueOutOfRange, path, $"must be within ±{limit.ToString(CultureInfo.InvariantCulture)}");
                    if (p.Name == "lat") lat = d; else lon = d;
                    break;
                }

                case "timezone":
                case "country":
                case "region":
                case "ip":
                case "device_type":
                case "os":
                case "browser":
                case "user_agent":
                {
                    if (IsAbsent(p.Value)) break;
                    if (p.Value.ValueKind != JsonValueKind.String) return InteractionParseResult.Fail(ParseErrorKind.WrongType, path, "must be a string");
                    string s = p.Value.GetString()!;
                    switch (p.Name)
                    {
                        case "timezone": timezone = s; break;
                        case "country": country = s; break;
                        case "region": region = s; break;
                        case "ip": ip = s; break;
                        case "device_type": deviceType = s; break;
                        case "os": os = s; break;
                        case "browser": browser = s; break;
                        default: userAgent = s; break;
                    }

                    break;
                }

                default:
                    if (!AllowUnknownFields) return InteractionParseResult.Fail(ParseErrorKind.UnknownField, path, "field is not part of the schema");
                    break;
            }
        }

        ctx = new InteractionContext(timezone, country, region, lat, lon, ip, deviceType, os, browser, userAgent);
        return null;
    }
}
