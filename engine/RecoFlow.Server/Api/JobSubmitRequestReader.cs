using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using RecoFlow.ControlPlane;

namespace RecoFlow.Server.Api;

/// <summary>
/// Reads the body of <c>POST /api/jobs</c> strictly: at most <see cref="NodeServerOptions.MaxJobSubmitBytes"/> bytes
/// (else 413), UTF-8, JSON nested at most <see cref="MaxDepth"/> deep, a JSON object whose fields are those of
/// <see cref="JobSubmitRequest"/> (<c>job, params, from_savepoint, assembly, job_class, parallelism, reactive</c>) with the right types; any
/// other field is refused. Every refusal is an HTTP status with a message naming the problem; nothing here throws on
/// the body.
/// </summary>
internal static class JobSubmitRequestReader
{
    /// <summary>The submission needs 2 (the object, its params).</summary>
    public const int MaxDepth = 4;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = MaxDepth,
    };

    public static async Task<(JobSubmitRequest? Request, int Status, string? Error)> ReadAsync(HttpRequest http, int maxBytes, CancellationToken cancellationToken)
    {
        var body = await BoundedBody.ReadAsync(http, maxBytes, cancellationToken);
        if (body is null) return (null, StatusCodes.Status413PayloadTooLarge, $"body exceeds {maxBytes} bytes (recoflow.http.max-job-bytes)");
        var (request, error) = Parse(body);
        return (request, request is null ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK, error);
    }

    public static (JobSubmitRequest? Request, string? Error) Parse(ReadOnlySpan<byte> body)
    {
        const string Shape = "the body must be a JSON object with at least \"job\"";
        if (body.IsEmpty) return (null, Shape);
        if (!Utf8.IsValid(body)) return (null, "body is not valid UTF-8");
        try
        {
            // Syntax and depth first, so a too deeply nested body is named as such whatever its shape.
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
            while (reader.Read()) { }
            return JsonSerializer.Deserialize<JobSubmitRequest>(body, Options) is { } request ? (request, null) : (null, Shape);
        }
        catch (JsonException e)
        {
            return (null, $"body is not a valid submission: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // Valid UTF-8 whose strings do not unescape to valid text (an escaped lone surrogate).
            return (null, $"body is not a valid submission: {e.Message}");
        }
    }
}
