using Microsoft.AspNetCore.Http;
using RecoFlow.Server.Api;

namespace RecoFlow.Recommendations.Edge.Capture;

/// <summary>POST /collect: reads the body (bounded), runs <see cref="CaptureService"/>, publishes what it accepted.</summary>
internal static class CollectEndpoint
{
    private const string NoConsentNote = "events without personalization consent are not forwarded for personalisation";

    public static async Task<IResult> Handle(HttpContext http, CaptureService capture, IEventPublisher publisher, CaptureMetrics metrics, RecommendationEdgeOptions options, Delivery.PopularItems popular)
    {
        var max = options.MaxCollectBytes;
        var body = await BoundedBody.ReadAsync(http.Request, max, http.RequestAborted);
        if (body is null) return TooLarge(max);

        var result = capture.Process(body);
        if (result.BodyError is { } bodyError)
        {
            metrics.Collected("rejected", 1);
            return result.TooLarge ? Results.Json(new { error = bodyError }, statusCode: StatusCodes.Status413PayloadTooLarge) : Results.BadRequest(new { error = bodyError });
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
        return result.Errors.Count > 0 ? Results.BadRequest(response) : Results.Json(response, statusCode: StatusCodes.Status202Accepted);
    }

    private static IResult TooLarge(int max) =>
        Results.Json(new { error = $"body exceeds {max} bytes" }, statusCode: StatusCodes.Status413PayloadTooLarge);
}
