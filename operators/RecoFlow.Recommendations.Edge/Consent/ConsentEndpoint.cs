using Microsoft.AspNetCore.Http;
using RecoFlow.Server.Api;
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
/// clears the user's keyed state (and Web Push subscription) and its next checkpoint no longer holds it; the time of the
/// user's latest push notification is forgotten here at once. Opting in again (also logged) lets new
/// events through; nothing erased comes back. The body is bounded (<see cref="RecommendationEdgeOptions.MaxConsentBytes"/>)
/// and validated by <see cref="ConsentRequest"/>.
/// </summary>
internal static class ConsentEndpoint
{
    public const int PopularListLength = 10;

    public static async Task<IResult> Handle(HttpContext http, ConsentRegistry consent, Pseudonymizer pseudonymizer, IEventPublisher publisher,
        IRecommendationFeed feed, PopularItems popular, RecommendationEdgeOptions options, AccessKeys keys, Push.PushDecision push)
    {
        var max = options.MaxConsentBytes;
        var body = await BoundedBody.ReadAsync(http.Request, max, http.RequestAborted);
        if (body is null) return ApiProblem.TooLarge($"body exceeds {max} bytes");
        var (parsed, error) = ConsentRequest.Parse(body);
        if (parsed is null) return Bad(error!);
        var (user, personalization, userToken) = (parsed.UserId, parsed.Personalization, parsed.UserToken);

        // Only the user (or the site's backend, with the admin token) changes a user's consent.
        if (keys.CheckUser(http.Request, user, userToken).Denial is { } denied) return denied;

        var pseudonym = pseudonymizer.Pseudonymize(user);
        if (personalization)
        {
            consent.OptIn(pseudonym, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            return Results.Json(new { user_id = user, personalization = true }, statusCode: StatusCodes.Status202Accepted);
        }
        var request = consent.OptOut(pseudonym, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        push.Forget(pseudonym);
        feed.Publish(pseudonym, popular.ListJson(pseudonym, PopularListLength));
        await publisher.PublishAsync(options.InteractionsTopic,
            [new CapturedEvent(pseudonym, System.Text.Encoding.UTF8.GetBytes(ErasureLog.ControlJson(request)))], http.RequestAborted);
        return Results.Json(new { user_id = user, personalization = false, erasure = "requested" }, statusCode: StatusCodes.Status202Accepted);
    }

    private static IResult Bad(string error) => ApiProblem.BadRequest(error);
}
