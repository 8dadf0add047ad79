using System.Text;
using Microsoft.AspNetCore.Http;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Consent;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Push;
using RecoFlow.Server.Api;
using RecoFlow.Server.Security;

namespace RecoFlow.Recommendations.Edge.Push;

/// <summary>
/// <c>GET /push/key</c> (the VAPID public key a page subscribes with) and <c>POST /push/subscription</c>: a user's Web
/// Push subscription (or null to end it) becomes a control event on the capture path, published to the interactions
/// topic keyed by the user's pseudonym, so it reaches the job's keyed state by user in order with the user's events
/// (and is erased with the user). A user who opted out of personalisation cannot subscribe (409): a notification
/// carries a personalised list.
/// </summary>
internal static class PushEndpoints
{
    public static IResult Key(WebPushSender sender, HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-cache";
        return Results.Json(new { public_key = sender.PublicKey });
    }

    public static async Task<IResult> Subscribe(HttpContext http, RecommendationEdgeOptions options, ConsentRegistry consent, Pseudonymizer pseudonymizer,
        IEventPublisher publisher, AccessKeys keys)
    {
        var max = options.Push.MaxSubscriptionBytes;
        var body = await BoundedBody.ReadAsync(http.Request, max, http.RequestAborted);
        if (body is null) return ApiProblem.TooLarge($"body exceeds {max} bytes");
        var (request, error) = PushSubscriptionRequest.Parse(body, options.Push.AllowHttpEndpoints);
        if (request is null) return ApiProblem.BadRequest(error!);
        if (keys.CheckUser(http.Request, request.UserId, request.UserToken).Denial is { } denied) return denied;

        var pseudonym = pseudonymizer.Pseudonymize(request.UserId);
        if (request.Subscription is not null && consent.IsOptedOut(pseudonym))
            return ApiProblem.Of(StatusCodes.Status409Conflict, "the user opted out of personalisation (POST /consent): push notifications carry personalised lists");
        var change = new PushSubscriptionChange(pseudonym, request.Subscription, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await publisher.PublishAsync(options.InteractionsTopic, [new CapturedEvent(pseudonym, Encoding.UTF8.GetBytes(change.ControlJson()))], http.RequestAborted);
        return Results.Json(new { user_id = request.UserId, subscribed = request.Subscription is not null }, statusCode: StatusCodes.Status202Accepted);
    }
}
