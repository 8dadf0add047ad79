using Akka.Configuration;

namespace RecoFlow.Server.Tests;

/// <summary>How <see cref="NodeServerOptions.From"/> settles the node's keys.</summary>
public sealed class NodeKeysTests
{
    private static NodeServerOptions From(string hocon) => NodeServerOptions.From(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void With_security_on_a_collect_key_is_generated_apart_from_the_admin_token()
    {
        var o = From("recoflow.http.token = admin-token-0123456789");
        Assert.True(o.CollectKeyGenerated);
        Assert.False(string.IsNullOrEmpty(o.CollectKey));
        Assert.NotEqual(o.Token, o.CollectKey);
        var generated = From("");
        Assert.True(generated.TokenGenerated && generated.CollectKeyGenerated);
        Assert.NotEqual(generated.Token, generated.CollectKey);
    }

    [Fact]
    public void Configured_keys_are_kept()
    {
        var o = From("""
            recoflow.http { token = admin-token-0123456789, collect-key = collect-key-0123, user-secret = user-secret-0123456789,
                            trusted-proxies = ["10.0.0.5", "10.1.0.0/16"] }
            """);
        Assert.Equal(("collect-key-0123", false, "user-secret-0123456789"), (o.CollectKey, o.CollectKeyGenerated, o.UserSecret));
        Assert.Equal(["10.0.0.5", "10.1.0.0/16"], o.TrustedProxies);
    }

    [Fact]
    public void With_anonymous_writes_and_no_collect_key_capture_is_open()
    {
        var o = From("recoflow.http.allow-anonymous-writes = on");
        Assert.Null(o.Token);
        Assert.Null(o.CollectKey);
        Assert.False(o.CollectKeyGenerated);
    }

    [Theory]
    [InlineData("recoflow.http { token = same-key-0123456789, collect-key = same-key-0123456789 }", "collect-key must differ")]
    [InlineData("recoflow.http.user-secret = short", "user-secret must be at least 16 bytes")]
    [InlineData("recoflow.http.trusted-proxies = [\"not-an-address\"]", "not-an-address")]
    public void Unsafe_settings_are_refused(string hocon, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => From(hocon));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
