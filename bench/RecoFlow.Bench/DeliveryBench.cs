using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using HdrHistogram;
using RecoFlow.Cli;
using RecoFlow.Recommendations.Cli;

namespace RecoFlow.Bench;

/// <summary>
/// Latency from <c>POST /collect</c> to the WebSocket push of the list that event produced, through the whole demo
/// stack in one process: HTTP capture → Kafka (development broker) → the recommendation job → the feed sink →
/// WebSocket. Events of <see cref="Users"/> users are POSTed in batches every 10 ms at a fixed rate; each user has a
/// WebSocket open; a list names the event it follows, so its latency is its arrival minus that event's POST time.
/// </summary>
public static class DeliveryBench
{
    public const int Users = 200;

    /// <summary>The rates measured, lowest first: the highest whose p99 stays under <see cref="P99LimitMs"/> is reported.</summary>
    public static IReadOnlyList<double> Rates { get; } = [1_000, 2_000, 5_000, 7_500, 10_000];

    public const double P99LimitMs = 100;

    public sealed record Row(double Rate, double Seconds, long Sent, long Received, double P50Ms, double P99Ms, double MaxMs);

    public static async Task<Row> RunAsync(double rate, TimeSpan duration, TimeSpan warmup, CancellationToken cancellationToken)
    {
        await using var host = await DemoHost.StartAsync(new DemoOptions { HttpPort = 0, Rate = 0, CollectRateLimit = 100_000 }, cancellationToken);
        var catalog = host.Catalog;
        var sent = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var histogram = new LongHistogram(1, 3_600_000_000, 3);
        var gate = new object();
        long received = 0;
        bool measuring = false;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // One WebSocket per user.
        var sockets = new List<ClientWebSocket>();
        var readers = new List<Task>();
        var wsBase = new UriBuilder(host.Server.Url) { Scheme = host.Server.Url.Scheme == "https" ? "wss" : "ws" }.Uri;
        for (int u = 0; u < Users; u++)
        {
            var ws = new ClientWebSocket();
            // The bench plays the shop's backend: the admin token reads and writes in any user's name.
            ws.Options.SetRequestHeader("Authorization", "Bearer " + host.AdminToken);
            await ws.ConnectAsync(new Uri(wsBase, $"ws/recommendations?user=bench-{u}"), cancellationToken);
            sockets.Add(ws);
            readers.Add(Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var r = await ws.ReceiveAsync(buffer, stop.Token);
                        if (r.MessageType == WebSocketMessageType.Close) break;
                        long now = Stopwatch.GetTimestamp();
                        using var doc = JsonDocument.Parse(buffer.AsMemory(0, r.Count));
                        if (!doc.RootElement.TryGetProperty("event_id", out var id) || id.GetString() is not { } eventId) continue;
                        if (!sent.TryRemove(eventId, out var at) || !Volatile.Read(ref measuring)) continue;
                        var us = Math.Max(1, (long)Stopwatch.GetElapsedTime(at, now).TotalMicroseconds);
                        lock (gate) histogram.RecordValue(Math.Min(us, 3_600_000_000));
                        Interlocked.Increment(ref received);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
            }));
        }

        using var http = new HttpClient { BaseAddress = host.Server.Url, DefaultRequestHeaders = { Authorization = new("Bearer", host.AdminToken) } };
        var rng = new Random(7);
        long n = 0, sentMeasured = 0;
        var start = Stopwatch.GetTimestamp();
        var posts = new List<Task>();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var total = warmup + duration;
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= total) break;
            if (!measuring && elapsed >= warmup) Volatile.Write(ref measuring, true);
            long due = (long)(elapsed.TotalSeconds * rate);
            var body = new StringBuilder("[");
            var ids = new List<string>();
            var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (; n < due; n++)
            {
                var item = catalog.Items[rng.Next(catalog.Items.Count)];
                var id = $"b-{n}";
                ids.Add(id);
                if (body.Length > 1) body.Append(',');
                body.Append(CultureInfo.InvariantCulture, $$$"""{"event_id":"{{{id}}}","user_id":"bench-{{{n % Users}}}","item_id":"{{{item.Id}}}","type":"click","ts":{{{ts}}},"consent":{"personalization":true}}""");
            }
            if (ids.Count == 0) continue;
            body.Append(']');
            var now = Stopwatch.GetTimestamp();
            // Only events POSTed inside the measured interval are matched.
            if (measuring) foreach (var id in ids) sent[id] = now;
            if (measuring) sentMeasured += ids.Count;
            posts.Add(http.PostAsync("collect", new StringContent(body.ToString(), Encoding.UTF8, "application/json"), cancellationToken));
            posts.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(posts);
        // Let the last lists arrive.
        var drain = Stopwatch.GetTimestamp();
        while (Interlocked.Read(ref received) < sentMeasured && Stopwatch.GetElapsedTime(drain) < TimeSpan.FromSeconds(30)) await Task.Delay(50, cancellationToken);
        await stop.CancelAsync();
        foreach (var ws in sockets) ws.Abort();
        await Task.WhenAll(readers);
        foreach (var ws in sockets) ws.Dispose();
        lock (gate)
        {
            if (histogram.TotalCount == 0) return new Row(rate, duration.TotalSeconds, sentMeasured, 0, double.NaN, double.NaN, double.NaN);
            return new Row(rate, duration.TotalSeconds, sentMeasured, Interlocked.Read(ref received),
                histogram.GetValueAtPercentile(50) / 1000.0, histogram.GetValueAtPercentile(99) / 1000.0, histogram.GetMaxValue() / 1000.0);
        }
    }

    public static string Render(IEnumerable<Row> rows, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Measured with `{command}` on {Environment.ProcessorCount} cores. {Users} users, each with an open WebSocket; events POSTed to `/collect` in batches every 10 ms; latency = WebSocket arrival of the list an event produced − that event's POST (HdrHistogram). When the job falls behind, the feed keeps each user's newest lists and drops older unread ones, so fewer lists than events arrive.");
        sb.AppendLine();
        sb.AppendLine("| rate (events/s) | measured | events sent | lists received | p50 | p99 | max |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Rate:N0} | {r.Seconds:0} s | {r.Sent:N0} | {r.Received:N0} | {r.P50Ms:0.0} ms | {r.P99Ms:0.0} ms | {r.MaxMs:0.0} ms |");
        // Sustained: every list the measured events produced arrived (the feed drops older unread lists when the job falls behind).
        var under = rows.Where(r => r.P99Ms <= P99LimitMs && r.Received >= r.Sent).Select(r => r.Rate).DefaultIfEmpty().Max();
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Highest measured rate sustained with p99 under {P99LimitMs:0} ms: {(under > 0 ? $"{under:N0} events/s" : "none of the rates measured")}.");
        return sb.ToString();
    }

    /// <summary>Replaces the text between <c>&lt;!-- delivery:begin --&gt;</c> and <c>&lt;!-- delivery:end --&gt;</c> (appends the section when absent).</summary>
    public static void WriteSection(string doc, string table) =>
        BenchDoc.WriteSection(doc, "delivery", table, "Event to screen: `POST /collect` → WebSocket push");
}
