using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RecoFlow.Server.Api;

/// <summary>Endpoint filter for writes: with security on, requires <c>Authorization: Bearer &lt;recoflow.http.token&gt;</c>.</summary>
public sealed class AccessTokenFilter(NodeServerOptions options) : IEndpointFilter
{
    private readonly byte[]? _token = options.SecurityOn ? Encoding.UTF8.GetBytes(options.Token!) : null;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_token is null || Authorized(context.HttpContext.Request)) return next(context);
        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(Results.Json(new { error = "a valid access token is required (Authorization: Bearer ...)" }, statusCode: StatusCodes.Status401Unauthorized));
    }

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        var presented = Encoding.UTF8.GetBytes(header[prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, _token);
    }
}
