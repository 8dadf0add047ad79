using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;

namespace RecoFlow.Connectors.Http;

/// <summary>
/// Posts each record to an HTTP endpoint (an application's back end), signed with HMAC-SHA256
/// (<see cref="WebhookSignature"/>), at least once: a checkpoint (or the end of the input) completes only when every
/// record written before it was delivered or given up on, so a restore re-sends at most what was in flight, with the
/// same <see cref="WebhookSignature.DeliveryHeader"/> for the receiver to deduplicate. Up to
/// <see cref="WebhookOptions.MaxInFlight"/> requests per subtask are open at once (more make the sink wait:
/// backpressure). A 2xx answer delivers; 408, 429, 5xx, a timeout or a connection failure is retried with exponential
/// backoff and jitter (honouring Retry-After); any other status, or <see cref="WebhookOptions.MaxAttempts"/> failed
/// tries, sends the record to the job's dead letters with the reason, and the job goes on.
/// </summary>
/// <param name="body">The request body of a record (sent as <paramref name="contentType"/>).</param>
/// <param name="deliveryId">A stable id of the record (the same on every retry and after a restore).</param>
/// <param name="handler">The HTTP handler (tests, proxies); a new <see cref="SocketsHttpHandler"/> per subtask by default.</param>
public sealed class WebhookSink<T>(Uri endpoint, Func<T, byte[]> body, Func<T, string> deliveryId, byte[] secret,
    WebhookOptions? options = null, string contentType = "application/json", Func<HttpMessageHandler>? handler = null) : ISink<T>
{
    private readonly WebhookOptions _options = Validated(options ?? new WebhookOptions(), secret);
    private readonly Uri _endpoint = endpoint;
    private readonly Func<T, byte[]> _body = body;
    private readonly Func<T, string> _deliveryId = deliveryId;
    private readonly byte[] _secret = secret;
    private readonly string _contentType = contentType;
    private readonly Func<HttpMessageHandler>? _handler = handler;

    public ISinkWriter<T> CreateWriter(SinkContext context) => new Writer(this, context.DeadLetters);

    public string Describe() => $"webhook POST {_endpoint} (HMAC-SHA256 signed, at least once, {_options.MaxAttempts} attempts)";

    private static WebhookOptions Validated(WebhookOptions o, byte[] secret)
    {
        o.Validate();
        if (secret is not { Length: >= 16 }) throw new ArgumentException("the webhook secret must be at least 16 bytes", nameof(secret));
        return o;
    }

    private sealed class Writer : ISinkWriter<T>
    {
        private readonly WebhookSink<T> _sink;
        private readonly IDeadLetterOutput? _deadLetters;
        private readonly HttpClient _http;
        private readonly SemaphoreSlim _window;
        private readonly ConcurrentDictionary<long, Task> _pending = new();
        private readonly ConcurrentQueue<(string Reason, string Record)> _failed = new();
        private readonly CancellationTokenSource _stop = new();
        private long _next;

        public Writer(WebhookSink<T> sink, IDeadLetterOutput? deadLetters)
        {
            _sink = sink;
            _deadLetters = deadLetters;
            _http = new HttpClient(sink._handler?.Invoke() ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = sink._options.EffectiveTimeout };
            _window = new SemaphoreSlim(sink._options.MaxInFlight);
        }

        public void Write(T value, long timestamp)
        {
            ReportFailures();
            var payload = _sink._body(value);
            var id = _sink._deliveryId(value);
            _window.Wait(_stop.Token);
            long n = _next++;
            _pending[n] = Task.Run(async () =>
            {
                try { await DeliverAsync(payload, id).ConfigureAwait(false); }
                finally
                {
                    _window.Release();
                    _pending.TryRemove(n, out _);
                }
            });
        }

        private async Task DeliverAsync(byte[] payload, string id)
        {
            var o = _sink._options;
            string last = "";
            for (int attempt = 1; attempt <= o.MaxAttempts; attempt++)
            {
                TimeSpan? retryAfter = null;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, _sink._endpoint) { Content = new ByteArrayContent(payload) };
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(_sink._contentType);
                    long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                    request.Headers.Add(WebhookSignature.TimestampHeader, now.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(_sink._secret, now, payload));
                    request.Headers.Add(WebhookSignature.DeliveryHeader, id);
                    using var response = await _http.SendAsync(request, _stop.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode) return;
                    last = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
                    if (!Retryable(response.StatusCode))
                    {
                        GiveUp($"webhook {_sink._endpoint} refused delivery {id}: {last} (not retried)", payload);
                        return;
                    }
                    retryAfter = response.Headers.RetryAfter?.Delta;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    last = e is TaskCanceledException ? $"no answer within {o.EffectiveTimeout.TotalSeconds:0.#} s" : e.Message;
                }
                if (attempt < o.MaxAttempts)
                    await Task.Delay(Backoff(attempt, retryAfter), _stop.Token).ConfigureAwait(false);
            }
            GiveUp($"webhook {_sink._endpoint} did not take delivery {id} after {o.MaxAttempts} attempts: {last}", payload);
        }

        private static bool Retryable(HttpStatusCode status) =>
            status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

        private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
        {
            var o = _sink._options;
            double ms = o.EffectiveInitialBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1) * (0.8 + 0.4 * Random.Shared.NextDouble());
            if (retryAfter is { } wait) ms = Math.Max(ms, wait.TotalMilliseconds);
            return TimeSpan.FromMilliseconds(Math.Min(ms, o.EffectiveMaxBackoff.TotalMilliseconds));
        }

        private void GiveUp(string reason, byte[] payload)
        {
            _failed.Enqueue((reason, System.Text.Encoding.UTF8.GetString(payload)));
        }

        /// <summary>Dead letters are reported on the task's thread.</summary>
        private void ReportFailures()
        {
            while (_failed.TryDequeue(out var f)) _deadLetters?.Report(f.Reason, f.Record, Api.Time.Watermark.NoTimestamp);
        }

        public void Flush(bool endOfInput)
        {
            Task.WhenAll(_pending.Values).GetAwaiter().GetResult();
            ReportFailures();
        }

        public void Dispose()
        {
            _stop.Cancel();
            try { Task.WhenAll(_pending.Values).Wait(TimeSpan.FromSeconds(5)); }
            catch (AggregateException) { }
            _http.Dispose();
            _window.Dispose();
            _stop.Dispose();
        }
    }
}
