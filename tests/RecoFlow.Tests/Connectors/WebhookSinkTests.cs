using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;
using RecoFlow.Connectors.Http;

namespace RecoFlow.Tests.Connectors;

/// <summary>The webhook sink against a real HTTP receiver (HttpListener on loopback): signed, retried, at least once, dead-lettered.</summary>
public sealed class WebhookSinkTests : IDisposable
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("a-webhook-secret-of-32-bytes!!!!");
    private readonly HttpListener _listener = new();
    private readonly Uri _endpoint;
    private readonly ConcurrentQueue<(string Delivery, int Status, bool SignatureValid, string Body)> _seen = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private Func<string, int, int> _answer = (_, _) => 200;
    private readonly Task _serving;

    public WebhookSinkTests()
    {
        int port = FreePort();
        _endpoint = new Uri($"http://127.0.0.1:{port}/hook/");
        _listener.Prefixes.Add(_endpoint.ToString());
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            using var ms = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(ms);
            var body = ms.ToArray();
            var delivery = ctx.Request.Headers[WebhookSignature.DeliveryHeader] ?? "";
            int attempt = _attempts.AddOrUpdate(delivery, 1, (_, n) => n + 1);
            int status = _answer(delivery, attempt);
            bool valid = WebhookSignature.Verify(Secret, ctx.Request.Headers[WebhookSignature.TimestampHeader], ctx.Request.Headers[WebhookSignature.SignatureHeader], body);
            _seen.Enqueue((delivery, status, valid, Encoding.UTF8.GetString(body)));
            ctx.Response.StatusCode = status;
            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }

    private sealed class DeadLetters : IDeadLetterOutput
    {
        public List<(string Reason, object? Record)> Reported { get; } = [];
        public void Report(string reason, object? record, long timestamp) => Reported.Add((reason, record));
    }

    private (ISinkWriter<string> Writer, DeadLetters Dead) Writer(Uri? endpoint = null, int attempts = 4)
    {
        var sink = new WebhookSink<string>(endpoint ?? _endpoint, s => Encoding.UTF8.GetBytes($$"""{"item":"{{s}}"}"""), s => "d-" + s, Secret,
            new WebhookOptions(MaxAttempts: attempts, InitialBackoff: TimeSpan.FromMilliseconds(5), MaxBackoff: TimeSpan.FromMilliseconds(50), MaxInFlight: 2, Timeout: TimeSpan.FromSeconds(5)));
        var dead = new DeadLetters();
        return (sink.CreateWriter(new SinkContext(0, 1, "webhook", new Dictionary<string, string>(), null) { DeadLetters = dead }), dead);
    }

    [Fact]
    public void Failed_attempts_are_retried_until_each_record_is_delivered_once_signed()
    {
        _answer = (_, attempt) => attempt < 3 ? 503 : 200;
        var (w, dead) = Writer();
        using (w)
        {
            for (int i = 0; i < 5; i++) w.Write($"i{i}", 0);
            w.Flush(endOfInput: false);
        }
        Assert.Empty(dead.Reported);
        var delivered = _seen.Where(s => s.Status == 200).ToList();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"d-i{i}").Order(), delivered.Select(d => d.Delivery).Order());
        Assert.All(_seen, s => Assert.True(s.SignatureValid));
        Assert.All(_attempts.Values, n => Assert.Equal(3, n));
        Assert.Contains(delivered, d => d.Body == """{"item":"i3"}""");
    }

    [Fact]
    public void A_refusal_is_not_retried_and_goes_to_the_dead_letters_while_the_others_are_delivered()
    {
        _answer = (delivery, _) => delivery == "d-bad" ? 400 : 200;
        var (w, dead) = Writer();
        using (w)
        {
            w.Write("good", 0);
            w.Write("bad", 0);
            w.Flush(endOfInput: true);
        }
        Assert.Equal(1, _attempts["d-bad"]);
        var (reason, record) = Assert.Single(dead.Reported);
        Assert.Contains("HTTP 400", reason, StringComparison.Ordinal);
        Assert.Contains("not retried", reason, StringComparison.Ordinal);
        Assert.Equal("""{"item":"bad"}""", record);
        Assert.Contains(_seen, s => s.Delivery == "d-good" && s.Status == 200);
    }

    [Fact]
    public void A_receiver_that_keeps_failing_gets_the_bounded_attempts_then_the_record_is_dead_lettered()
    {
        _answer = (_, _) => 500;
        var (w, dead) = Writer(attempts: 3);
        using (w)
        {
            w.Write("x", 0);
            w.Flush(endOfInput: false);
        }
        Assert.Equal(3, _attempts["d-x"]);
        Assert.Contains("after 3 attempts: HTTP 500", Assert.Single(dead.Reported).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_endpoint_is_dead_lettered_with_the_connection_error()
    {
        var (w, dead) = Writer(new Uri($"http://127.0.0.1:{FreePort()}/nobody/"), attempts: 2);
        using (w)
        {
            w.Write("x", 0);
            w.Flush(endOfInput: true);
        }
        Assert.Contains("after 2 attempts", Assert.Single(dead.Reported).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_holds_only_for_its_body_time_and_secret()
    {
        var body = Encoding.UTF8.GetBytes("{}");
        var sig = WebhookSignature.Sign(Secret, 1_700_000_000, body);
        Assert.StartsWith("sha256=", sig, StringComparison.Ordinal);
        Assert.True(WebhookSignature.Verify(Secret, "1700000000", sig, body));
        Assert.False(WebhookSignature.Verify(Secret, "1700000001", sig, body));
        Assert.False(WebhookSignature.Verify(Secret, "1700000000", sig, Encoding.UTF8.GetBytes("{ }")));
        Assert.False(WebhookSignature.Verify(Encoding.UTF8.GetBytes("another-secret-of-32-bytes!!!!!!"), "1700000000", sig, body));
        Assert.False(WebhookSignature.Verify(Secret, null, sig, body));
        Assert.Throws<ArgumentException>(() => new WebhookSink<string>(_endpoint, Encoding.UTF8.GetBytes, s => s, [1, 2, 3]));
    }
}
