using System.Text.Json;

namespace RecoFlow.Operators.Privacy;

/// <summary>A user's erasure: every state derived from their events up to <see cref="ErasedAtMs"/> must go.</summary>
/// <param name="UserKey">The pseudonymous user id, as the capture layer forwards it.</param>
/// <param name="ErasedAtMs">Unix epoch milliseconds of the opt-out.</param>
public sealed record ErasureRequest(string UserKey, long ErasedAtMs);

/// <summary>
/// The durable erasure log: an append-only JSON Lines file, one <c>{"user_key":..,"erased_at":..}</c> per opt-out.
/// The capture layer appends to it before it tells the job; the job reads it whenever its keyed operators open
/// (start and every restore), so an erasure holds even when the job restores a checkpoint taken before it.
/// On a cluster the same role is played by a compacted Kafka topic keyed by user; the file suits one node.
/// Thread-safe within a process.
/// </summary>
public sealed class ErasureLog(string path)
{
    private readonly object _gate = new();

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public void Append(ErasureRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var line = JsonSerializer.Serialize(new { user_key = request.UserKey, erased_at = request.ErasedAtMs }) + "\n";
        lock (_gate)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            using var f = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            var bytes = System.Text.Encoding.UTF8.GetBytes(line);
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
    }

    /// <summary>The latest erasure time per user key (empty when the file does not exist). Unreadable lines are skipped.</summary>
    public IReadOnlyDictionary<string, long> Read()
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!File.Exists(Path)) return result;
        string[] lines;
        lock (_gate)
        {
            using var f = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(f);
            lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        foreach (var line in lines)
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var key = doc.RootElement.GetProperty("user_key").GetString();
                var at = doc.RootElement.GetProperty("erased_at").GetInt64();
                if (key is not null) result[key] = result.TryGetValue(key, out var prev) ? Math.Max(prev, at) : at;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // A torn last line after a crash: the request it stood for was not acknowledged.
            }
        }
        return result;
    }

    /// <summary>The control event that carries an erasure through the interactions topic (see docs/events.md).</summary>
    public static string ControlJson(ErasureRequest request) =>
        JsonSerializer.Serialize(new { erase_user = request.UserKey, ts = request.ErasedAtMs });

    /// <summary>Recognises <see cref="ControlJson"/>; false for anything else (interactions).</summary>
    public static bool TryParseControl(string json, out ErasureRequest? request)
    {
        request = null;
        if (json is null || !json.StartsWith("{\"erase_user\"", StringComparison.Ordinal)) return false;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var key = doc.RootElement.GetProperty("erase_user").GetString();
            if (string.IsNullOrEmpty(key)) return false;
            request = new ErasureRequest(key, doc.RootElement.GetProperty("ts").GetInt64());
            return true;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}
