using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Consent;
using RecoFlow.Recommendations.Edge.Delivery;
using RecoFlow.Recommendations.Edge.Models;
using RecoFlow.Recommendations.Edge.Push;
using RecoFlow.Recommendations.Edge.Shop;
using RecoFlow.Server;
using RecoFlow.Server.Api;
using RecoFlow.Server.Security;
using RecoFlow.Runtime;

namespace RecoFlow.Recommendations.Edge;

/// <summary>
/// The recommendation product's edge as a module of a node's HTTP layer (docs/http-api.md): event capture
/// (POST /collect, /tracker.js), consent (POST /consent), delivery (GET /recommendations/{user}, the WebSocket
/// /ws/recommendations), Web Push (GET /push/key, POST /push/subscription, the service worker /sw.js), the model
/// versions the dashboard lists (GET /api/models) and, with a catalogue, the demo shop.
/// Capture takes the collect key or the admin token (<see cref="CollectKeyFilter"/>); with a user secret, capture,
/// consent and delivery also need the user's token (<see cref="AccessKeys.UserCheck"/>).
/// </summary>
public sealed class RecommendationEdgeModule(RecommendationEdgeOptions options, RecommendationEdgeServices? services = null) : INodeModule
{
    private const string CollectRateLimit = "collect";
    private const string CollectCors = "collect";

    private readonly RecommendationEdgeServices _services = services ?? new RecommendationEdgeServices();

    public void AddServices(IServiceCollection services, NodeServerOptions node)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(_services.Publisher ?? new InMemoryEventPublisher());
        services.AddSingleton(_services.Feed ?? new InMemoryRecommendationFeed());
        services.AddSingleton(_services.Models ?? new NoModelVersions());
        if (_services.Shop is not null) services.AddSingleton(_services.Shop);
        services.AddSingleton(new Pseudonymizer(options.PseudonymKey ?? RandomNumberGenerator.GetBytes(32)));
        services.AddSingleton(new DataMinimizer(_services.IpRegions
            ?? (options.GeoDatabase is { } geo ? new MmdbIpRegionLookup(geo, options.GeoRegions) : new NoIpRegionLookup())));
        services.AddSingleton(_ => new ConsentRegistry(_services.ErasureLog));
        services.AddSingleton(new PopularItems());
        services.AddSingleton(sp => new CaptureService(sp.GetRequiredService<Pseudonymizer>(), sp.GetRequiredService<DataMinimizer>(),
            sp.GetRequiredService<ConsentRegistry>(), options.MaxCollectEvents));
        services.AddSingleton<CaptureMetrics>();
        services.AddSingleton(_ => new WebPushSender(VapidKeys.From(options.Push), options.Push));
        services.AddSingleton(new PushDecision(options.Push.MaterialTop, options.Push.MinInterval));
        services.AddSingleton<PushMetrics>();
        services.AddRateLimiter(r => r.AddPolicy(CollectRateLimit, http => RateLimitPartition.GetFixedWindowLimiter(
            http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = options.CollectRateLimit, Window = options.CollectRateWindow, QueueLimit = 0 })));
        services.AddCors(c => c.AddPolicy(CollectCors, p => p.AllowAnyOrigin().AllowAnyHeader().WithMethods("POST")));
    }

    public void MapEndpoints(WebApplication app)
    {
        var assembly = typeof(RecommendationEdgeModule).Assembly;
        var tracker = EmbeddedResources.ReadText(assembly, "RecoFlow.Recommendations.Edge.Web.tracker.js");
        app.MapGet("/tracker.js", (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=300";
            return Results.Content(tracker, "text/javascript; charset=utf-8");
        });
        var serviceWorker = EmbeddedResources.ReadText(assembly, "RecoFlow.Recommendations.Edge.Web.sw.js");
        app.MapGet("/sw.js", (HttpContext http) =>
        {
            // Browsers check a service worker for updates on navigation; no-cache keeps that check cheap and current.
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Content(serviceWorker, "text/javascript; charset=utf-8");
        });
        app.MapGet("/push/key", PushEndpoints.Key);
        app.MapPost("/push/subscription", PushEndpoints.Subscribe)
            .AddEndpointFilter<CollectKeyFilter>()
            .RequireRateLimiting(CollectRateLimit)
            .RequireCors(CollectCors);
        app.MapGet("/api/models", (IModelVersions models) => Results.Json(ModelsEndpoint.Versions(models)));

        app.MapPost("/collect", CollectEndpoint.Handle)
            .AddEndpointFilter<CollectKeyFilter>()
            .RequireRateLimiting(CollectRateLimit)
            .RequireCors(CollectCors);

        app.MapPost("/consent", ConsentEndpoint.Handle)
            .AddEndpointFilter<CollectKeyFilter>()
            .RequireRateLimiting(CollectRateLimit)
            .RequireCors(CollectCors);

        if (_services.Shop is { } shop)
        {
            var page = new ShopPage(EmbeddedResources.ReadText(assembly, "RecoFlow.Recommendations.Edge.Web.shop.html"),
                app.Services.GetRequiredService<AccessKeys>(), app.Services.GetRequiredService<NodeServerOptions>());
            app.MapGet("/shop", page.Serve);
            app.MapGet("/shop/catalog.json", () => Results.Text(shop.Json, "application/json"));
        }

        app.MapGet("/recommendations/{user}", RecommendationEndpoints.Latest);
        app.Map("/ws/recommendations", RecommendationEndpoints.Stream);
    }
}
