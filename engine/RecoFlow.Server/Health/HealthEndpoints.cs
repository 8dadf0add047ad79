using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RecoFlow.Server.Health;

/// <summary>
/// <c>/health/live</c> and <c>/health/ready</c> for orchestrators' probes, on ASP.NET Core's health checks: 200 with
/// <c>{"status":"Healthy"}</c>, or 503 with <c>"Unhealthy"</c> and the problems found.
/// </summary>
internal static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddNodeHealth(this IServiceCollection services)
    {
        services.AddSingleton<NodeReadiness>();
        services.AddHealthChecks().AddCheck<ReadinessCheck>("cluster", tags: [ReadyTag]);
        return services;
    }

    public static void MapNodeHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
    }

    private static Task WriteAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            problems = report.Entries.Values.SelectMany(e => e.Data.TryGetValue("problems", out var p) && p is IEnumerable<string> list ? list : []).ToList(),
        });

    private sealed class ReadinessCheck(NodeReadiness readiness) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var result = await readiness.CheckAsync(cancellationToken);
            return result.Ready
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy(string.Join("; ", result.Problems), data: new Dictionary<string, object> { ["problems"] = result.Problems });
        }
    }
}
