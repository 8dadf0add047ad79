using Microsoft.AspNetCore.Http;

namespace RecoFlow.Server.Api;

/// <summary>
/// Every error the node's HTTP API answers: RFC 9457 problem details (<c>application/problem+json</c> with
/// <c>type</c>, <c>title</c>, <c>status</c> and <c>detail</c> naming the cause), plus <c>error</c> repeating the detail
/// for clients of the earlier <c>{"error": "..."}</c> shape.
/// </summary>
public static class ApiProblem
{
    public static IResult Of(int status, string detail) =>
        Results.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["error"] = detail });

    public static IResult BadRequest(string detail) => Of(StatusCodes.Status400BadRequest, detail);

    public static IResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, detail);

    public static IResult TooLarge(string detail) => Of(StatusCodes.Status413PayloadTooLarge, detail);
}
