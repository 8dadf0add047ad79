using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RecoFlow.Bench;

/// <summary>
/// Nodes started as <c>recoflow node</c> children on 127.0.0.1, the first the seed of the others; disposing kills them,
/// <see cref="StopAsync"/> lets them leave and exit.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private const string Token = "bench-token";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30), DefaultRequestHeaders = { Authorization = new("Bearer", Token) } };

    public List<NodeChild> Nodes { get; } = [];

    /// <param name="environment">Extra environment variables of every node process (e.g. runtime settings to compare).</param>
    /// <param name="config">A HOCON file every node reads (<c>--config</c>), or null.</param>
    /// <param name="cli">A published <c>recoflow.dll</c> the nodes run instead of the CLI this bench references.</param>
    public static async Task<LocalCluster> StartAsync(int count, string stateDir, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null, string? config = null, string? cli = null)
    {
        var cluster = new LocalCluster();
        try
        {
            var seedPort = FreePort();
            cluster.Nodes.Add(await NodeChild.StartAsync(stateDir, seedPort, null, Token, environment, config, ct, cli));
            cluster.Nodes.AddRange(await Task.WhenAll(Enumerable.Range(1, count - 1).Select(_ => NodeChild.StartAsync(stateDir, FreePort(), seedPort, Token, environment, config, ct, cli))));
            await cluster.UntilAsync(async () =>
            {
                var members = (await cluster.GetAsync(cluster.Nodes[0], "api/overview", ct))?["cluster"]?["members"]?.AsArray();
                return members is not null && members.Count == count && members.All(m => m?["status"]?.GetValue<string>() == "up");
            }, TimeSpan.FromMinutes(1), $"{count} members up", ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<string> SubmitYsbAsync(string input, string campaigns, string output, int parallelism, int rate, CancellationToken ct)
    {
        var body = new
        {
            job = "ysb",
            @params = new Dictionary<string, string>
            {
                ["input"] = input, ["campaigns"] = campaigns, ["output"] = output,
                ["parallelism"] = parallelism.ToString(CultureInfo.InvariantCulture), ["rate"] = rate.ToString(CultureInfo.InvariantCulture),
            },
        };
        using var response = await _http.PostAsJsonAsync(new Uri(Nodes[0].Http, "api/jobs"), body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"cluster bench: submit failed ({(int)response.StatusCode}): {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    public async Task<JsonNode?> GetAsync(NodeChild node, string path, CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(node.Http, path), ct);
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || e is TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    public async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken ct, int pollMs = 200)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition()) return;
            await Task.Delay(pollMs, ct);
        }
        throw new TimeoutException($"cluster bench: timed out after {timeout.TotalSeconds:F0} s waiting for: {what}\n{string.Join("\n", Nodes.Select(n => $"--- {n.Address} ---\n{n.Log}"))}");
    }

    /// <summary>Closes every node's standard input (the nodes run with <c>--exit-on-stdin-eof</c>), so each leaves the cluster and exits; SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        foreach (var n in Nodes.AsEnumerable().Reverse()) n.CloseInput();
        using var timeout = new CancellationTokenSource(grace);
        try { await Task.WhenAll(Nodes.Select(n => n.WaitForExitAsync(timeout.Token))); }
        catch (OperationCanceledException) { foreach (var n in Nodes) n.Kill(); }
        await Task.WhenAll(Nodes.Select(n => n.WaitForExitAsync(CancellationToken.None)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes) n.Kill();
        await Task.WhenAll(Nodes.Select(n => n.WaitForExitAsync(CancellationToken.None)));
        foreach (var n in Nodes) n.Dispose();
        _http.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    public static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
