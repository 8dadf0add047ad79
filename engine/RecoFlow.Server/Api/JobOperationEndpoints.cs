using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using RecoFlow.ControlPlane;

namespace RecoFlow.Server.Api;

/// <summary>
/// Submitting and operating jobs (docs/http-api.md, docs/cluster.md): <c>POST /api/jobs</c>,
/// <c>POST /api/jobs/{id}/cancel</c>, <c>POST /api/jobs/{id}/savepoint[?target_directory=DIR]</c>,
/// <c>POST /api/jobs/{id}/stop[?drain=true][&amp;target_directory=DIR]</c> (<c>savepoint=false</c> cancels instead).
/// Errors are <c>{"error": "..."}</c> naming the cause. A submission's body is read by <see cref="JobSubmitRequestReader"/>.
/// </summary>
internal static class JobOperationEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/jobs", async (HttpContext http, NodeServerOptions options, IJobOperations ops, CancellationToken ct) =>
        {
            var (request, status, error) = await JobSubmitRequestReader.ReadAsync(http.Request, options.MaxJobSubmitBytes, ct);
            if (request is null) return Answer(new JobOperationResult(status, Error: error));
            return Answer(await ops.SubmitAsync(request, ct));
        }).AddEndpointFilter<AccessTokenFilter>();
        api.MapPost("/jobs/{id}/cancel", async (string id, IJobOperations ops, CancellationToken ct) =>
        {
            var r = await ops.CancelAsync(id, ct);
            return r.Status == 200 ? Results.Json(new { id, cancel = "requested" }, statusCode: StatusCodes.Status202Accepted) : Answer(r);
        }).AddEndpointFilter<AccessTokenFilter>();
        api.MapPost("/jobs/{id}/savepoint", async (string id, [FromQuery(Name = "target_directory")] string? targetDirectory, IJobOperations ops, CancellationToken ct) =>
            Answer(await ops.SavepointAsync(id, new SavepointCommand(Stop: false, targetDirectory), ct))).AddEndpointFilter<AccessTokenFilter>();
        // Flink's asynchronous trigger: 202 with a request id at once, then GET .../savepoints/{request_id} until it ends.
        api.MapPost("/jobs/{id}/savepoints", (string id, [FromQuery(Name = "target_directory")] string? targetDirectory, bool? stop, bool? drain, SavepointTriggers triggers) =>
        {
            var requestId = triggers.Trigger(id, new SavepointCommand(stop == true, targetDirectory, drain == true));
            return Results.Json(new { request_id = requestId }, statusCode: StatusCodes.Status202Accepted);
        }).AddEndpointFilter<AccessTokenFilter>();
        api.MapGet("/jobs/{id}/savepoints/{requestId}", (string id, string requestId, SavepointTriggers triggers) =>
            triggers.Find(id, requestId) is { } t
                ? Results.Json(new { request_id = t.RequestId, id = t.JobId, status = t.Status, savepoint = t.Savepoint, error = t.Error })
                : ApiProblem.NotFound($"no savepoint trigger {requestId} for job {id} on this node"));
        // Flink's stop: a savepoint, then the job stops; savepoint=false cancels instead (the older verb's meaning).
        api.MapPost("/jobs/{id}/stop", async (string id, bool? savepoint, bool? drain, [FromQuery(Name = "target_directory")] string? targetDirectory, IJobOperations ops, CancellationToken ct) =>
        {
            if (savepoint != false) return Answer(await ops.SavepointAsync(id, new SavepointCommand(Stop: true, targetDirectory, drain == true), ct));
            var r = await ops.CancelAsync(id, ct);
            return r.Status == 200 ? Results.Json(new { id, cancel = "requested" }, statusCode: StatusCodes.Status202Accepted) : Answer(r);
        }).AddEndpointFilter<AccessTokenFilter>();
    }

    private static IResult Answer(JobOperationResult r) => r.Status switch
    {
        201 => Results.Json(new { id = r.JobId }, statusCode: 201),
        200 => Results.Json(new { id = r.JobId, savepoint = r.Savepoint }),
        _ => ApiProblem.Of(r.Status, r.Error ?? $"the job operation failed ({r.Status})"),
    };
}
