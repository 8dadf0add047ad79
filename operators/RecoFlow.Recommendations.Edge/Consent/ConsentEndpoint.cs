using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Delivery;
using RecoFlow.Server.Security;

namespace RecoFlow.Recommendations.Edge.Consent;

/// <summary>
/// POST /consent <c>{"user_id": "...", "personalization": false}</c>. Opting out is written to the erasure log first,
/// then takes effect at once on this node (/collect stops forwarding the user's events; the feed pushes a
/// non-personalised popular list instead of the job's) and on every node that follows the same log, and sends an
/// erasure control event through the interactions topic, keyed like the user's events so it follows them: the job
/// clears the user's keyed state and its next checkpoint no longer holds it. Opting in again (also logged) lets new
/// events through; nothing erased comes back.
/// </summary>
internal static class ConsentEndpoint
{
    public const int PopularListLength = 10;

    public static async Task<IResult> Handle(HttpContext http, ConsentRegistry consent, Pseudonymizer pseudonymizer, IEventPublisher publisher,
        IRecommendationFeed feed, PopularItems popular, RecommendationEdgeOptions options, AccessKeys keys)
    {
        string? user;
        bool personalization;
        string? userToken;
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Bad("body must be a JSON object");
            if (!root.TryGetProperty("user_id", out var u) || u.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(u.GetString()))
                return Bad("user_id (a non-empty string) is required");
            if (!root.TryGetProperty("personalization", out var p) || p.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Bad("personalization (true or false) is required");
            user = u.GetString()!;
            personalization = p.GetBoolean();
            userToken = root.TryGetProperty(UserTokens.Field, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }
        catch (JsonException e)
        {
            return Bad($"body is not JSON: {e.Message}");
        }

        // Only the user (or the site's backend, with the admin token) changes a user's consent.
        if (keys.CheckUser(http.Request, user, userToken).Denial is { } denied) return denied;

        var pseudonym = pseudonymizer.Pseudonymize(user);
        if (personalization)
        {
            consent.OptIn(pseudonym, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            return Results.Json(new { user_id = user, personalization = true }, statusCode: StatusCodes.Status202Accepted);
        }
        var request = consent.OptOut(pseudonym, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        feed.Publish(pseudonym, popular.ListJson(pseudonym, PopularListLength));
        await publisher.PublishAsync(options.InteractionsTopic,
            [new CapturedEvent(pseudonym, System.Text.Encoding.UTF8.GetBytes(ErasureLog.ControlJson(request)))], http.RequestAborted);
        return Results.Json(new { user_id = user, personalization = false, erasure = "requested" }, statusCode: StatusCodes.Status202Accepted);
    }

    private static IResult Bad(string error) => Results.BadRequest(new { error });
}
