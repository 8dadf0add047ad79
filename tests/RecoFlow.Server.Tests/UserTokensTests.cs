using System.Security.Cryptography;
using System.Text;
using RecoFlow.Server.Security;

namespace RecoFlow.Server.Tests;

public sealed class UserTokensTests
{
    private const string Secret = "user-secret-0123456789";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_767_261_600);
    private readonly UserTokens _tokens = new(Secret);

    [Fact]
    public void A_token_is_expiry_dot_base64url_of_the_hmac_of_user_dot_expiry()
    {
        var token = _tokens.Issue("alice", Now.AddHours(1));
        var expiry = Now.AddHours(1).ToUnixTimeSeconds();
        // Computed independently: HMAC-SHA256(secret, "alice.EXPIRY"), base64url without padding.
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"alice.{expiry}"));
        var sig = Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal($"{expiry}.{sig}", token);
        Assert.DoesNotContain('=', token);
        Assert.Equal(UserTokenCheck.Valid, _tokens.Verify("alice", token, Now));
    }

    [Fact]
    public void Another_users_token_or_another_secret_is_a_wrong_signature()
    {
        var alice = _tokens.Issue("alice", Now.AddHours(1));
        Assert.Equal(UserTokenCheck.WrongSignature, _tokens.Verify("bob", alice, Now));
        Assert.Equal(UserTokenCheck.WrongSignature, new UserTokens("another-secret-0123456789").Verify("alice", alice, Now));
        // A user id that is a prefix, or differs only in case, is another user.
        Assert.Equal(UserTokenCheck.WrongSignature, _tokens.Verify("alic", alice, Now));
        Assert.Equal(UserTokenCheck.WrongSignature, _tokens.Verify("Alice", alice, Now));
    }

    [Fact]
    public void A_token_holds_until_its_expiry_second()
    {
        var token = _tokens.Issue("alice", Now.AddSeconds(10));
        Assert.Equal(UserTokenCheck.Valid, _tokens.Verify("alice", token, Now.AddSeconds(9)));
        Assert.Equal(UserTokenCheck.Expired, _tokens.Verify("alice", token, Now.AddSeconds(10)));
        Assert.Equal(UserTokenCheck.Expired, _tokens.Verify("alice", token, Now.AddDays(1)));
    }

    [Fact]
    public void Extending_the_expiry_breaks_the_signature()
    {
        var token = _tokens.Issue("alice", Now.AddSeconds(10));
        var sig = token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..];
        Assert.Equal(UserTokenCheck.WrongSignature, _tokens.Verify("alice", $"{Now.AddDays(365).ToUnixTimeSeconds()}.{sig}", Now));
    }

    [Fact]
    public void Tampering_with_one_character_of_the_signature_is_refused()
    {
        var token = _tokens.Issue("alice", Now.AddHours(1));
        var last = token[^1] == 'A' ? 'B' : 'A';
        Assert.Equal(UserTokenCheck.WrongSignature, _tokens.Verify("alice", token[..^1] + last, Now));
        Assert.Equal(UserTokenCheck.WrongSignature, _tokens.Verify("alice", token + "=", Now));
        Assert.Equal(UserTokenCheck.WrongSignature, _tokens.Verify("alice", token[..^1], Now));
    }

    [Theory]
    [InlineData(null, UserTokenCheck.Missing)]
    [InlineData("", UserTokenCheck.Missing)]
    [InlineData("abc", UserTokenCheck.Malformed)]
    [InlineData(".sig", UserTokenCheck.Malformed)]
    [InlineData("1767265200.", UserTokenCheck.Malformed)]
    [InlineData("-1.sig", UserTokenCheck.Malformed)]
    [InlineData("+1767265200.sig", UserTokenCheck.Malformed)]
    [InlineData("01767265200.sig", UserTokenCheck.Malformed)]
    [InlineData("1e9.sig", UserTokenCheck.Malformed)]
    [InlineData("99999999999999999999999.sig", UserTokenCheck.Malformed)]
    [InlineData("1767265200.not-the-signature", UserTokenCheck.WrongSignature)]
    [InlineData("1767265200.a.b", UserTokenCheck.WrongSignature)]
    [InlineData("1767265200.\u00e9\u00e9", UserTokenCheck.WrongSignature)]
    public void Malformed_or_missing_tokens_are_told_apart(string? token, UserTokenCheck expected) =>
        Assert.Equal(expected, _tokens.Verify("alice", token, Now));

    [Fact]
    public void User_ids_with_dots_and_non_ascii_characters_work()
    {
        var token = _tokens.Issue("jean.dupont@exemple.fr/été", Now.AddHours(1));
        Assert.Equal(UserTokenCheck.Valid, _tokens.Verify("jean.dupont@exemple.fr/été", token, Now));
        Assert.Equal(UserTokenCheck.WrongSignature, _tokens.Verify("jean.dupont@exemple.fr/ete", token, Now));
    }

    [Fact]
    public void A_short_secret_is_refused() =>
        Assert.Throws<ArgumentException>(() => new UserTokens("too-short"));

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1h", 3600)]
    [InlineData("2d", 172800)]
    public void Lifetimes_parse(string text, int seconds)
    {
        Assert.True(UserTokens.TryParseTtl(text, out var ttl));
        Assert.Equal(TimeSpan.FromSeconds(seconds), ttl);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("h")]
    [InlineData("0h")]
    [InlineData("-1h")]
    [InlineData("1w")]
    [InlineData("1.5h")]
    [InlineData("1 h")]
    [InlineData("60")]
    public void Bad_lifetimes_are_refused(string? text) => Assert.False(UserTokens.TryParseTtl(text, out _));
}
