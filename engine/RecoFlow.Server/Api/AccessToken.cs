using Microsoft.AspNetCore.Http;
using RecoFlow.Server.Security;

namespace RecoFlow.Server.Api;

/// <summary>
/// Endpoint filter for admin writes (every <c>POST /api/jobs...</c>): with security on, requires
/// <c>Authorization: Bearer &lt;recoflow.http.token&gt;</c> (401 otherwise). The collect key is refused with 403 even
/// with security off: it is published in web pages and never runs anything on the cluster.
/// </summary>
public sealed class AccessTokenFilter(AccessKeys keys) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        switch (keys.Identify(http.Request))
        {
            case Credential.Admin:
                return next(context);
            case Credential.Collect:
                return ValueTask.FromResult<object?>(ApiProblem.Of(StatusCodes.Status403Forbidden,
                    "the collect key only sends events (POST /collect, POST /consent); this needs the admin token"));
            default:
                if (!keys.AdminRequired) return next(context);
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return ValueTask.FromResult<object?>(ApiProblem.Of(StatusCodes.Status401Unauthorized, "a valid access token is required (Authorization: Bearer ...)"));
        }
    }
}

/// <summary>
/// Endpoint filter for event capture (<c>POST /collect</c>, <c>POST /consent</c>): when the node has a collect key or
/// an admin token, requires one of them (the collect key as <c>Authorization: Bearer KEY</c> or <c>?key=KEY</c>; the
/// admin token as the header), 401 otherwise.
/// </summary>
public sealed class CollectKeyFilter(AccessKeys keys) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!keys.CollectRequired || keys.Identify(http.Request) is Credential.Admin or Credential.Collect) return next(context);
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(ApiProblem.Of(StatusCodes.Status401Unauthorized, "a valid collect key is required (Authorization: Bearer KEY, or key=KEY in the query)"));
    }
}
