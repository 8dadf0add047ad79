using RecoFlow.Cli;
using RecoFlow.Server.Security;

namespace RecoFlow.Tests.Cli;

/// <summary><c>recoflow user-token USER --secret S [--ttl 1h]</c>.</summary>
public sealed class UserTokenCommandTests
{
    private const string Secret = "cli-user-secret-0123456789";

    [Theory]
    [InlineData(null, 3600)]
    [InlineData("30m", 1800)]
    [InlineData("2d", 172800)]
    public async Task Prints_a_token_the_nodes_accept_for_the_user_and_the_lifetime(string? ttl, int seconds)
    {
        var stdout = new StringWriter();
        string[] args = ttl is null ? ["user-token", "alice", "--secret", Secret] : ["user-token", "alice", "--secret", Secret, "--ttl", ttl];
        var before = DateTimeOffset.UtcNow;
        Assert.Equal(0, await CliApp.RunAsync(args, stdout));
        var token = stdout.ToString().Trim();
        var tokens = new UserTokens(Secret);
        Assert.Equal(UserTokenCheck.Valid, tokens.Verify("alice", token, DateTimeOffset.UtcNow));
        Assert.Equal(UserTokenCheck.WrongSignature, tokens.Verify("bob", token, DateTimeOffset.UtcNow));
        var expiry = long.Parse(token[..token.IndexOf('.', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiry - before.ToUnixTimeSeconds(), seconds - 1, seconds + 5);
    }

    [Theory]
    [InlineData("--ttl", "1w")]
    [InlineData("--ttl", "0h")]
    [InlineData("--secret", "short")]
    public async Task Bad_usage_exits_2(string option, string value)
    {
        string[] args = option == "--secret" ? ["user-token", "alice", "--secret", value] : ["user-token", "alice", "--secret", Secret, option, value];
        Assert.Equal(2, await CliApp.RunAsync(args, new StringWriter()));
    }
}
