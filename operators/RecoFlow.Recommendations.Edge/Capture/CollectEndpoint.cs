using Microsoft.AspNetCore.Http;
using RecoFlow.Server.Api;
using RecoFlow.Server.Security;


namespace RecoFlow.Recommendations.Edge.Capture;

/// <summary>POST /collect: reads the body (bounded), runs <see cref="CaptureService"/>, publishes what it accepted.</summary>
internal static class CollectEndpoint
{
    private const string NoConsentNote = "events without personalization consent are not forwarded for personalisation";

    public static async Task<IResult> Handle(HttpContext http, CaptureService capture, IEventPublisher publisher, CaptureMetrics metrics, RecommendationEdgeOptions options, Delivery.PopularItems popular, AccessKeys keys)
    {
        var max = options.MaxCollectBytes;
        var body = await BoundedBody.ReadAsync(http.Request, max, http.RequestAborted);
        if (body is null) return TooLarge(max);

        var result = capture.Process(body, keys.UserCheck(http.Request), http.Connection.RemoteIpAddress?.ToString());
        if (result.BodyError is { } bodyError)
        {
            metrics.Collected("rejected", 1);
            return result.TooLarge ? ApiProblem.TooLarge(bodyError) : ApiProblem.BadRequest(bodyError);
        }
        if (result.Events.Count > 0) await publisher.PublishAsync(options.InteractionsTopic, result.Events, http.RequestAborted);
        foreach (var e in result.Events) if (e.ItemId is { } item) popular.Add(item);
        metrics.Collected("accepted", result.Accepted);
        metrics.Collected("no_consent", result.NotForwarded);
        metrics.Collected("rejected", result.Errors.Count);
        var response = new
        {
            accepted = result.Accepted,
            not_forwarded = result.NotForwarded,
            rejected = result.Errors.Count,
            note = result.NotForwarded > 0 ? NoConsentNote : null,
            errors = result.Errors,
        };
        if (result.Errors.Count > 0 && UserRefusal(result) is { } refused) return Results.Json(response, statusCode: refused);
        return result.Errors.Count > 0 ? Results.BadRequest(response) : Results.Json(response, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>401 (no proof) or 403 (a bad one) when every event was refused because its user was not proven; else null.</summary>
    private static int? UserRefusal(CaptureResult result)
    {
        if (result.Accepted > 0 || result.NotForwarded > 0 || !result.Errors.All(e => e.Kind is CaptureService.NoUserToken or CaptureService.BadUserToken)) return null;
        return result.Errors.All(e => e.Kind == CaptureService.NoUserToken) ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
    }

    private static IResult TooLarge(int max) =>
        ApiProblem.TooLarge($"body exceeds {max} bytes");
}
