using RecoFlow.Server.Api;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Server.Security;

namespace RecoFlow.Recommendations.Edge.Delivery;

/// <summary>
/// GET /recommendations/{user} and the WebSocket GET /ws/recommendations?user=ID. With a user secret, both need the
/// user's token (header X-RecoFlow-User-Token or query user_token; 401 without, 403 for another user's or an expired
/// one), or the admin token.
/// </summary>
internal static class RecommendationEndpoints
{
    public static IResult Latest(string user, HttpContext http, AccessKeys keys, IRecommendationFeed feed, Pseudonymizer pseudonymizer)
    {
        if (keys.CheckUser(http.Request, user).Denial is { } denied) return denied;
        return feed.Latest(pseudonymizer.Pseudonymize(user)) is { } json
            ? Results.Text(json, "application/json", Encoding.UTF8)
            : ApiProblem.NotFound("no recommendations for this user yet");
    }

    public static async Task Stream(HttpContext http, IRecommendationFeed feed, Pseudonymizer pseudonymizer, AccessKeys keys)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await ApiProblem.BadRequest("WebSocket upgrade expected").ExecuteAsync(http);
            return;
        }
        var user = http.Request.Query["user"].ToString();
        if (string.IsNullOrEmpty(user))
        {
            await ApiProblem.BadRequest("query parameter 'user' is required").ExecuteAsync(http);
            return;
        }
        if (keys.CheckUser(http.Request, user).Denial is { } denied)
        {
            await denied.ExecuteAsync(http);
            return;
        }
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var subscription = feed.Subscribe(pseudonymizer.Pseudonymize(user));
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var receiving = DrainUntilClosed(socket, closed);
        try
        {
            await foreach (var list in subscription.Lists.ReadAllAsync(closed.Token))
                await socket.SendAsync(Encoding.UTF8.GetBytes(list), WebSocketMessageType.Text, true, closed.Token);
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        await closed.CancelAsync();
        await receiving;
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None); }
            catch (WebSocketException) { }
        }
    }

    /// <summary>Reads (and ignores) client messages until the client closes; then cancels the sender.</summary>
    private static async Task DrainUntilClosed(WebSocket socket, CancellationTokenSource closed)
    {
        var buffer = new byte[1024];
        try
        {
            while (!closed.IsCancellationRequested)
            {
                var r = await socket.ReceiveAsync(buffer, closed.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        await closed.CancelAsync();
    }
}
