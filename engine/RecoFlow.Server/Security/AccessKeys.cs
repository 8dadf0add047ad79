using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RecoFlow.Server.Security;

/// <summary>Which of the node's keys a request presents.</summary>
public enum Credential
{
    /// <summary>No key at all.</summary>
    None,

    /// <summary>A key the node does not know.</summary>
    Unknown,

    /// <summary>The publishable collect key (<c>recoflow.http.collect-key</c>): POST /collect and POST /consent only.</summary>
    Collect,

    /// <summary>The admin token (<c>recoflow.http.token</c>): every write, and server-side collection in any user's name.</summary>
    Admin,
}

/// <summary>Whether a request may act for a user; <see cref="Status"/> is 200 when it may, else 401 or 403 with the reason.</summary>
public readonly record struct UserAccess(int Status, string? Error)
{
    public static readonly UserAccess Allowed = new(StatusCodes.Status200OK, null);
    public bool IsAllowed => Status == StatusCodes.Status200OK;

    /// <summary>The answer to a refused request (<c>{"error": ...}</c> with 401 or 403), or null when allowed.</summary>
    public IResult? Denial => IsAllowed ? null : Api.ApiProblem.Of(Status, Error!);
}

/// <summary>
/// The node's keys, separated by power (docs/http-api.md, "Security"): the admin token (<c>Authorization: Bearer</c>
/// only), the collect key (<c>Authorization: Bearer</c>, or <c>key=</c> in the query for <c>sendBeacon</c>), and, with
/// <c>recoflow.http.user-secret</c>, the signed tokens by which a user proves who they are (<see cref="UserTokens"/>).
/// Keys are compared in fixed time.
/// </summary>
public sealed class AccessKeys
{
    public const string KeyQuery = "key";

    private readonly byte[]? _admin;
    private readonly byte[]? _collect;

    public AccessKeys(NodeServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _admin = string.IsNullOrEmpty(options.Token) ? null : Encoding.UTF8.GetBytes(options.Token);
        _collect = string.IsNullOrEmpty(options.CollectKey) ? null : Encoding.UTF8.GetBytes(options.CollectKey);
        Users = string.IsNullOrEmpty(options.UserSecret) ? null : new UserTokens(options.UserSecret);
    }

    /// <summary>True when admin writes need the admin token (security on).</summary>
    public bool AdminRequired => _admin is not null;

    /// <summary>True when /collect and /consent need the collect key or the admin token.</summary>
    public bool CollectRequired => _admin is not null || _collect is not null;

    /// <summary>The user-token signer and checker; null when no user secret is set (then user ids are taken as given).</summary>
    public UserTokens? Users { get; }

    /// <summary>The key the request presents: a Bearer header (admin token or collect key), else the <c>key</c> query parameter (collect key only).</summary>
    public Credential Identify(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            const string prefix = "Bearer ";
            if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return Credential.Unknown;
            var presented = Encoding.UTF8.GetBytes(header[prefix.Length..].Trim());
            if (_admin is not null && CryptographicOperations.FixedTimeEquals(presented, _admin)) return Credential.Admin;
            if (_collect is not null && CryptographicOperations.FixedTimeEquals(presented, _collect)) return Credential.Collect;
            return Credential.Unknown;
        }
        // The query is for browsers' sendBeacon, which cannot set headers; the admin token never goes in a URL.
        if (request.Query[KeyQuery].ToString() is { Length: > 0 } key)
            return _collect is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), _collect) ? Credential.Collect : Credential.Unknown;
        return Credential.None;
    }

    /// <summary>
    /// The check of each user id a request acts for, or null when none is needed: no user secret is set, or the request
    /// carries the admin token (server-side collection). The check takes the user id and, where the body has one, the
    /// body's <c>user_token</c>; the header and the query parameter are read from <paramref name="request"/>.
    /// </summary>
    public Func<string, string?, UserAccess>? UserCheck(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Users is not { } users || Identify(request) == Credential.Admin) return null;
        var fromRequest = request.Headers[UserTokens.Header].ToString() is { Length: > 0 } h ? h : request.Query[UserTokens.Field].ToString();
        return (user, bodyToken) => Check(users, user, string.IsNullOrEmpty(fromRequest) ? bodyToken : fromRequest, DateTimeOffset.UtcNow);
    }

    /// <summary>Whether the request may act for <paramref name="userId"/> (see <see cref="UserCheck"/>).</summary>
    public UserAccess CheckUser(HttpRequest request, string userId, string? bodyToken = null) =>
        UserCheck(request) is { } check ? check(userId, bodyToken) : UserAccess.Allowed;

    internal static UserAccess Check(UserTokens users, string user, string? token, DateTimeOffset now) => users.Verify(user, token, now) switch
    {
        UserTokenCheck.Valid => UserAccess.Allowed,
        UserTokenCheck.Missing => new(StatusCodes.Status401Unauthorized,
            $"user '{user}' must prove who they are: a user token in the {UserTokens.Header} header, the {UserTokens.Field} query parameter or the body's {UserTokens.Field}"),
        UserTokenCheck.Expired => new(StatusCodes.Status403Forbidden, $"the user token of '{user}' has expired"),
        UserTokenCheck.Malformed => new(StatusCodes.Status403Forbidden, "the user token is malformed (expected EXPIRY.SIG)"),
        _ => new(StatusCodes.Status403Forbidden, $"the user token is not valid for user '{user}'"),
    };
}
