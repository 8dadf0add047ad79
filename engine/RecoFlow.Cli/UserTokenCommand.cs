using System.CommandLine;
using RecoFlow.Server.Security;

namespace RecoFlow.Cli;

/// <summary>
/// <c>recoflow user-token USER --secret S [--ttl 1h]</c>: prints a user token (EXPIRY.SIG) for USER, signed with the
/// nodes' <c>recoflow.http.user-secret</c>, as a site's backend would issue it (docs/http-api.md, "Security").
/// </summary>
public static class UserTokenCommand
{
    public static Command Create(TextWriter output)
    {
        var user = new Argument<string>("user") { Description = "the user id the token proves" };
        var secret = new Option<string?>("--secret") { Description = "the nodes' user secret (default: env RECOFLOW_USER_SECRET)" };
        var ttl = new Option<string>("--ttl") { Description = "lifetime: a number and s, m, h or d (e.g. 30m, 1h, 2d)", DefaultValueFactory = _ => "1h" };
        var cmd = new Command("user-token", "print a signed user token for USER (what a site's backend gives its signed-in user)") { user, secret, ttl };
        cmd.SetAction(r =>
        {
            var id = r.GetValue(user)!;
            if (string.IsNullOrEmpty(id)) throw new UsageException("USER must not be empty");
            var key = r.GetValue(secret) is { Length: > 0 } s ? s : Environment.GetEnvironmentVariable("RECOFLOW_USER_SECRET");
            if (string.IsNullOrEmpty(key)) throw new UsageException("--secret (or env RECOFLOW_USER_SECRET) is required");
            if (!UserTokens.TryParseTtl(r.GetValue(ttl), out var lifetime)) throw new UsageException($"--ttl: '{r.GetValue(ttl)}' is not a lifetime such as 30m, 1h or 2d");
            UserTokens tokens;
            try { tokens = new UserTokens(key); }
            catch (ArgumentException) { throw new UsageException($"--secret must be at least {UserTokens.MinSecretBytes} bytes (the nodes refuse a shorter recoflow.http.user-secret)"); }
            output.WriteLine(tokens.Issue(id, DateTimeOffset.UtcNow + lifetime));
            return 0;
        });
        return cmd;
    }
}
