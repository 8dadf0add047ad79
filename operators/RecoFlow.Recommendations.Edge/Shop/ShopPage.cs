using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RecoFlow.Server;
using RecoFlow.Server.Security;

namespace RecoFlow.Recommendations.Edge.Shop;

/// <summary>
/// GET /shop: the demo shop page, with its visitor signed in on the server. The node plays the shop's backend: it
/// gives each new browser a visitor id in an HttpOnly cookie (holding, with a user secret, a token for that id, so a
/// browser cannot claim another visitor by editing it), and embeds in the page the visitor's id, a user token signed
/// for it and the publishable collect key: never the admin token nor the secret.
/// </summary>
internal sealed class ShopPage(string template, AccessKeys keys, NodeServerOptions node)
{
    public const string Placeholder = "/*RECOFLOW_SHOP*/{}";
    public const string VisitorCookie = "recoflow_visitor";
    public static readonly TimeSpan VisitorLifetime = TimeSpan.FromDays(30);
    public static readonly TimeSpan PageTokenLifetime = TimeSpan.FromHours(12);

    public IResult Serve(HttpContext http)
    {
        var now = DateTimeOffset.UtcNow;
        var user = Returning(http.Request, now) ?? "visitor-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(5)).ToLowerInvariant();
        var users = keys.Users;
        http.Response.Cookies.Append(VisitorCookie, users is null ? user : user + "." + users.Issue(user, now + VisitorLifetime), new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/shop", Secure = http.Request.IsHttps, MaxAge = VisitorLifetime,
        });
        http.Response.Headers.CacheControl = "no-store";
        var settings = JsonSerializer.Serialize(new { user, user_token = users?.Issue(user, now + PageTokenLifetime), collect_key = node.CollectKey });
        return Results.Content(template.Replace(Placeholder, settings, StringComparison.Ordinal), "text/html; charset=utf-8");
    }

    /// <summary>The visitor id of the cookie, when it is one this node gave (with a user secret: whose token still holds).</summary>
    private string? Returning(HttpRequest request, DateTimeOffset now)
    {
        if (request.Cookies[VisitorCookie] is not { Length: > 0 and <= 200 } cookie) return null;
        if (keys.Users is not { } users) return IsVisitorId(cookie) ? cookie : null;
        // USER.EXPIRY.SIG: the token is the last two dot-separated parts.
        var sig = cookie.LastIndexOf('.');
        var expiry = sig > 0 ? cookie.LastIndexOf('.', sig - 1) : -1;
        if (expiry <= 0) return null;
        var user = cookie[..expiry];
        return IsVisitorId(user) && users.Verify(user, cookie[(expiry + 1)..], now) == UserTokenCheck.Valid ? user : null;
    }

    private static bool IsVisitorId(string id) =>
        id.StartsWith("visitor-", StringComparison.Ordinal) && id.Length <= 40 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
