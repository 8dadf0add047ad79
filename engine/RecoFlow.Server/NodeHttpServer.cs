using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using RecoFlow.ControlPlane;
using RecoFlow.Server.Api;
using RecoFlow.Server.Health;
using RecoFlow.Server.Jobs;
using RecoFlow.Server.Metrics;
using RecoFlow.Server.Security;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime;

namespace RecoFlow.Server;

/// <summary>
/// The HTTP layer of a node on Kestrel: dashboard (/), JSON API (/api), Prometheus metrics (/metrics), and the
/// endpoints of the modules the host plugs in (<see cref="INodeModule"/>). Start it with <see cref="StartAsync"/>, or
/// add it to your own WebApplication with <see cref="NodeHttpServerExtensions"/>.
/// </summary>
public sealed class NodeHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NodeHttpServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Base address, e.g. http://127.0.0.1:8080/.</summary>
    public Uri Url { get; }
    public IServiceProvider Services => _app.Services;
    public NodeMetrics Metrics => _app.Services.GetRequiredService<NodeMetrics>();

    /// <summary>Builds and starts the server on <see cref="NodeServerOptions.Host"/>:<see cref="NodeServerOptions.Port"/>.</summary>
    public static async Task<NodeHttpServer> StartAsync(NodeServerOptions options, NodeServices services, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (services.Logging is { } provider) builder.Logging.AddProvider(provider);
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(k =>
        {
            var address = options.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host);
            k.Listen(address, options.Port, listen =>
            {
                if (options.Certificate is { } cert) listen.UseHttps(cert);
            });
        });
        builder.Services.AddRecoFlowNode(options, services);
        var app = builder.Build();
        app.MapRecoFlowNode();
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new NodeHttpServer(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    /// <summary>Stops accepting requests, closes open connections (WebSockets included) and the sampler.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default) => await _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5))) await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}

public static class NodeHttpServerExtensions
{
    /// <summary>Registers the node's HTTP services: options, plugged-in services, metrics (OpenTelemetry with the Prometheus exporter), sampler, then each module's.</summary>
    public static IServiceCollection AddRecoFlowNode(this IServiceCollection services, NodeServerOptions options, NodeServices node)
    {
        services.AddSingleton(options);
        services.AddSingleton(node.Jobs);
        if (node.Operations is not null)
        {
            services.AddSingleton(node.Operations);
            services.AddSingleton(new SavepointTriggers(node.Operations));
        }
        services.AddSingleton(node.Cluster ?? new SingleNodeClusterView(options.NodeName));
        if (node.JobManager is not null) services.AddSingleton(node.JobManager);
        services.AddNodeHealth();
        // The HTTP API's OpenAPI document at /openapi/v1.json, from the endpoints' own metadata.
        services.AddOpenApi();
        services.AddSingleton(new NodeClock());
        // One meter per server: servers sharing a process (tests) must not export, nor end, each other's instruments.
        var meterName = NodeMetrics.NextMeterName();
        services.AddSingleton(sp => new NodeMetrics(sp.GetRequiredService<IJobRegistry>(), meterName));
        services.AddSingleton(sp => new JobMetricsSampler(sp.GetRequiredService<IJobRegistry>(), options.SampleInterval, options.History));
        services.AddHostedService<SamplerService>();
        services.AddSingleton(new AccessKeys(options));
        services.AddSingleton<AccessTokenFilter>();
        services.AddSingleton<CollectKeyFilter>();
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        });
        var telemetry = services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(meterName, "RecoFlow.Kafka").AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        // Traces (the engine's spans: submit, deploy, checkpoint, failover) go to an OTLP collector when one is configured
        // with OpenTelemetry's standard variable OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_EXPORTER_OTLP_PROTOCOL, ...).
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
            telemetry.WithTracing(t => t.AddSource(RecoFlow.Runtime.Observability.RecoFlowTracing.SourceName).AddOtlpExporter());
        // The middlewares are the node's; the policies (if any) are the modules'.
        services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.OnRejected = (context, _) => new ValueTask(ApiProblem.Of(StatusCodes.Status429TooManyRequests,
                "too many requests from this client; retry later").ExecuteAsync(context.HttpContext));
        });
        services.AddProblemDetails();
        services.AddCors();
        services.AddSingleton(node.Modules);
        foreach (var module in node.Modules) module.AddServices(services, options);
        return services;
    }

    /// <summary>Maps every endpoint of the node (see docs/http-api.md), then the modules'.</summary>
    public static WebApplication MapRecoFlowNode(this WebApplication app)
    {
        // First, so the rate limiter and everything after it see the client a trusted proxy names.
        var proxies = app.Services.GetRequiredService<NodeServerOptions>().TrustedProxies;
        if (proxies.Count > 0) app.UseForwardedHeaders(TrustedProxies.Options(proxies));
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseCors();
        app.UseRateLimiter();

        var dashboard = EmbeddedResources.ReadText(typeof(NodeHttpServer).Assembly, "RecoFlow.Server.Web.dashboard.html");
        app.MapGet("/", () => Results.Content(dashboard, "text/html; charset=utf-8"));

        var api = app.MapGroup("/api");
        api.MapGet("/overview", (NodeServerOptions o, IClusterView c, IJobRegistry j, NodeMetrics m, NodeClock clock) => Results.Json(ApiEndpoints.Overview(o, c, j, m, clock)));
        api.MapGet("/jobs", (IJobRegistry jobs) => Results.Json(jobs.Jobs.Select(ApiEndpoints.Summary)));
        api.MapGet("/jobs/{id}", (string id, IJobRegistry jobs, JobMetricsSampler sampler) =>
            jobs.Find(id) is { } j ? Results.Json(ApiEndpoints.Detail(j, sampler)) : NotFound(id));
        api.MapGet("/jobs/{id}/checkpoints", (string id, IJobRegistry jobs) =>
            jobs.Find(id) is { } j ? Results.Json(j.Checkpoints.Select(ApiEndpoints.Checkpoint)) : NotFound(id));
        if (app.Services.GetService<IJobOperations>() is not null) JobOperationEndpoints.Map(api);
        else api.MapPost("/jobs/{id}/cancel", (string id, IJobRegistry jobs) =>
        {
            if (jobs.Find(id) is not { } j) return NotFound(id);
            if (j.Status is JobState.Finished or JobState.Failed or JobState.Canceled)
                return ApiProblem.Of(StatusCodes.Status409Conflict, $"job {id} already ended ({j.Status.ToString().ToUpperInvariant()})");
            j.Cancel();
            return Results.Json(new { id, cancel = "requested" }, statusCode: StatusCodes.Status202Accepted);
        }).AddEndpointFilter<AccessTokenFilter>();

        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapNodeHealth();
        app.MapOpenApi();

        foreach (var module in app.Services.GetRequiredService<IReadOnlyList<INodeModule>>()) module.MapEndpoints(app);
        return app;
    }

    private static IResult NotFound(string id) => ApiProblem.NotFound($"no job {id}");
}

/// <summary>Drives <see cref="JobMetricsSampler"/> once per sample interval and rotates the latency window with it.</summary>
internal sealed class SamplerService(JobMetricsSampler sampler, NodeMetrics metrics, NodeServerOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        sampler.Sampled += metrics.RotateLatencyWindow;
        using var timer = new PeriodicTimer(options.SampleInterval);
        sampler.Tick();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) sampler.Tick();
        }
        catch (OperationCanceledException) { }
    }
}
