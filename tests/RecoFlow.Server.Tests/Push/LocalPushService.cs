using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RecoFlow.Server.Tests.Push;

/// <summary>
/// A push service on loopback standing in for the browser vendors' ones (which cannot be reached here): Kestrel on a
/// free port accepting POST /push/{id} (RFC 8030), answering <see cref="Status"/> (201 by default). Each request is
/// kept with its headers and body for the test to check with <see cref="UserAgent"/>.
/// </summary>
public sealed class LocalPushService : IAsyncDisposable
{
    public sealed record Request(string Path, string? Authorization, string? Ttl, string? Topic, string? ContentEncoding, byte[] Body);

    private readonly WebApplication _app;
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>();

    private LocalPushService(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>The status the next requests get (201 Created: accepted for delivery).</summary>
    public int Status { get; set; } = StatusCodes.Status201Created;

    public static async Task<LocalPushService> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var service = new LocalPushService(builder.Build());
        service._app.MapPost("/push/{id}", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var h = http.Request.Headers;
            await service._requests.Writer.WriteAsync(new Request(http.Request.Path, h.Authorization.ToString(), h["TTL"].ToString(), h["Topic"].ToString(),
                h.ContentEncoding.ToString(), body.ToArray()));
            return Results.StatusCode(service.Status);
        });
        await service._app.StartAsync();
        service.Url = new Uri(service._app.Urls.Single());
        return service;
    }

    /// <summary>The endpoint of a subscription on this service.</summary>
    public string Endpoint(string id) => new Uri(Url, "/push/" + id).ToString();

    /// <summary>The next request received, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<Request> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try { return await _requests.Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException("the push service received no request in time"); }
    }

    /// <summary>A request received so far and not yet read, or null.</summary>
    public Request? TryNext() => _requests.Reader.TryRead(out var r) ? r : null;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
