using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Server.Security;

namespace RecoFlow.Recommendations.Edge.Capture;

/// <summary>Why one event of a /collect body was rejected.</summary>
/// <param name="Kind">The parser's error kind in snake_case (missing_field, wrong_type, unknown_type, ...).</param>
public sealed record CaptureError(int Index, string Kind, string Field, string Reason);

/// <summary>Outcome of one /collect body.</summary>
/// <param name="BodyError">Set when the body as a whole is unusable (not UTF-8, not JSON, nested too deep, empty batch, too many events): nothing was accepted.</param>
/// <param name="TooLarge">With <paramref name="BodyError"/>: the batch has more events than allowed (the endpoint answers 413).</param>
public sealed record CaptureResult(int Accepted, int NotForwarded, IReadOnlyList<CaptureError> Errors, string? BodyError, IReadOnlyList<CapturedEvent> Events, bool TooLarge = false)
{
    public static CaptureResult Invalid(string reason, bool tooLarge = false) => new(0, 0, [], reason, [], tooLarge);
}

/// <summary>
/// The capture path of /collect: validates each event with the operators' <see cref="InteractionParser"/>, keeps
/// events without personalisation consent (or of users who opted out) out of the interactions topic, minimises the context
/// (<see cref="DataMinimizer"/>: no raw IP, coordinates or user agent leave this node) and replaces the user id by its
/// pseudonym (<see cref="Pseudonymizer"/>). The output is JSON in the parser's own schema, so the job parses it with
/// the same parser. A body may nest JSON at most <see cref="MaxBodyDepth"/> levels deep and hold at most
/// <paramref name="maxEvents"/> events.
/// </summary>
public sealed class CaptureService(Pseudonymizer pseudonymizer, DataMinimizer minimizer, Consent.ConsentRegistry? consent = null,
    int maxEvents = CaptureService.DefaultMaxEvents)
{
    public const int DefaultMaxEvents = 1000;

    /// <summary>An array of events, each nested at most <see cref="InteractionParser.MaxDepth"/> deep.</summary>
    public const int MaxBodyDepth = InteractionParser.MaxDepth + 1;

    private readonly InteractionParser _parser = new();

    public int MaxEvents { get; } = maxEvents > 0 ? maxEvents : throw new ArgumentOutOfRangeException(nameof(maxEvents), "at least 1");

    /// <summary>Error kinds of events refused because the sender did not prove their user (401 and 403 when every event is).</summary>
    public const string NoUserToken = "no_user_token", BadUserToken = "bad_user_token";

    /// <summary>
    /// Validates and transforms a body: one JSON event object or a JSON array of them. With <paramref name="users"/>
    /// (<see cref="AccessKeys.UserCheck"/>), each event's user_id must be proven (its user_token, or the request's).
    /// <paramref name="clientIp"/> (the sender's address, as the trusted proxies name it) stands in for the IP of an
    /// event with location consent that carries neither an IP nor a country: minimisation looks it up and drops it.
    /// </summary>
    public CaptureResult Process(ReadOnlySpan<byte> body, Func<string, string?, UserAccess>? users = null, string? clientIp = null)
    {
        if (!Utf8.IsValid(body)) return CaptureResult.Invalid("body is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = MaxBodyDepth });
        }
        catch (JsonException e)
        {
            // Nesting beyond MaxBodyDepth is reported here too ("The maximum configured depth of 9 has been exceeded").
            return CaptureResult.Invalid($"body is not JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            switch (root.ValueKind)
            {
                case JsonValueKind.Object:
                    return Process([root], users, clientIp);
                case JsonValueKind.Array when root.GetArrayLength() == 0:
                    return CaptureResult.Invalid("the batch is empty");
                case JsonValueKind.Array when root.GetArrayLength() > MaxEvents:
                    return CaptureResult.Invalid($"the batch has {root.GetArrayLength()} events; at most {MaxEvents} are accepted in one request", tooLarge: true);
                case JsonValueKind.Array:
                    return Process(root.EnumerateArray().ToList(), users, clientIp);
                default:
                    return CaptureResult.Invalid("body must be a JSON event object or an array of them");
            }
        }
    }

    private CaptureResult Process(IReadOnlyList<JsonElement> items, Func<string, string?, UserAccess>? users, string? clientIp)
    {
        var events = new List<CapturedEvent>(items.Count);
        var errors = new List<CaptureError>();
        var notForwarded = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var parsed = _parser.Parse(System.Text.Encoding.UTF8.GetBytes(items[i].GetRawText()));
            if (parsed.Error is { } error)
            {
                errors.Add(new CaptureError(i, JsonNamingPolicy.SnakeCaseLower.ConvertName(error.Kind.ToString()), error.Field, error.Message));
                continue;
            }
            var e = parsed.Event!;
            if (users?.Invoke(e.UserId, UserToken(items[i])) is { IsAllowed: false } denied)
            {
                errors.Add(new CaptureError(i, denied.Status == 401 ? NoUserToken : BadUserToken, UserTokens.Field, denied.Error!));
                continue;
            }
            var pseudonym = pseudonymizer.Pseudonymize(e.UserId);
            // The event's own flag, and the user's opt-out on POST /consent: either keeps it out of personalisation.
            if (!e.Consent.Personalization || consent?.IsOptedOut(pseudonym) == true)
            {
                notForwarded++;
                continue;
            }
            if (clientIp is not null && e.Consent.Location && e.Context.Ip is null && e.Context.Country is null)
                e = e with { Context = e.Context with { Ip = clientIp } };
            var (minimized, _) = minimizer.Minimize(e);
            events.Add(new CapturedEvent(pseudonym, InteractionJson.ToJson(minimized with { UserId = pseudonym }), e.ItemId));
        }
        return new CaptureResult(events.Count, notForwarded, errors, null, events);
    }

    private static string? UserToken(JsonElement item) =>
        item.TryGetProperty(UserTokens.Field, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
}
