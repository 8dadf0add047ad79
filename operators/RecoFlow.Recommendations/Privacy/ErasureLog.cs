using System.Text.Json;

namespace RecoFlow.Recommendations.Privacy;

/// <summary>A user's erasure: every state derived from their events up to <see cref="ErasedAtMs"/> must go.</summary>
/// <param name="UserKey">The pseudonymous user id, as the capture layer forwards it.</param>
/// <param name="ErasedAtMs">Unix epoch milliseconds of the opt-out.</param>
public sealed record ErasureRequest(string UserKey, long ErasedAtMs);

/// <summary>
/// The durable erasure and consent log: an append-only JSON Lines file, one <c>{"user_key":..,"erased_at":..}</c>
/// per opt-out and one <c>{"user_key":..,"opted_in_at":..}</c> per opt-in. The latest line of a user is that user's
/// consent, as the latest record of a key is its value in a compacted Kafka topic. The capture layer appends to it
/// before it tells the job; every node that shares the file (nodes of a cluster share their state directory) reads
/// it at start and follows it as it grows (<see cref="ReadConsent"/>), so an opt-out holds on every node and across
/// restarts. The job reads the erasures whenever its keyed operators open (start and every restore), so an erasure
/// holds even when the job restores a checkpoint taken before it. Each line is one append of a few dozen bytes
/// (atomic with O_APPEND on a local file system), so processes may append concurrently. Thread-safe within a process.
/// </summary>
public sealed class ErasureLog(string path)
{
    private readonly object _gate = new();

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public void Append(ErasureRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        AppendLine(JsonSerializer.Serialize(new { user_key = request.UserKey, erased_at = request.ErasedAtMs }));
    }

    /// <summary>Records that <paramref name="userKey"/> opted in again at <paramref name="atMs"/> (erases nothing; ends the opt-out).</summary>
    public void AppendOptIn(string userKey, long atMs)
    {
        ArgumentException.ThrowIfNullOrEmpty(userKey);
        AppendLine(JsonSerializer.Serialize(new { user_key = userKey, opted_in_at = atMs }));
    }

    private void AppendLine(string json)
    {
        var line = json + "\n";
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
                // Opt-in lines end an opt-out but undo no erasure.
                if (!doc.RootElement.TryGetProperty("erased_at", out var erasedAt)) continue;
                var key = doc.RootElement.GetProperty("user_key").GetString();
                var at = erasedAt.GetInt64();
                if (key is not null) result[key] = result.TryGetValue(key, out var prev) ? Math.Max(prev, at) : at;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // A torn last line after a crash: the request it stood for was not acknowledged.
            }
        }
        return result;
    }

    /// <summary>A reader that follows the log's consent lines as the log grows (see <see cref="ConsentFollower"/>).</summary>
    public ConsentFollower FollowConsent() => new(Path);

    /// <summary>
    /// Follows the consent lines of a log, from its start: <see cref="Poll"/> reports the complete lines appended since
    /// the last call (by any process) in file order, <c>true</c> for an opt-out and <c>false</c> for an opt-in; a line
    /// still being written waits for the next call. Keeps the file open, so a poll with nothing new costs one fstat.
    /// Not thread-safe: callers serialise polls.
    /// </summary>
    public sealed class ConsentFollower(string path) : IDisposable
    {
        private FileStream? _file;
        private long _offset;

        public void Poll(Action<string, bool> apply)
        {
            ArgumentNullException.ThrowIfNull(apply);
            if (_file is null)
            {
                if (!File.Exists(path)) return;
                try { _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); }
                catch (FileNotFoundException) { return; }
            }
            var length = _file.Length;
            if (length <= _offset) return;
            var tail = new byte[length - _offset];
            _file.Position = _offset;
            _file.ReadExactly(tail);
            var end = Array.LastIndexOf(tail, (byte)'\n');
            if (end < 0) return;
            _offset += end + 1;
            foreach (var line in System.Text.Encoding.UTF8.GetString(tail, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    var key = doc.RootElement.GetProperty("user_key").GetString();
                    if (string.IsNullOrEmpty(key)) continue;
                    if (doc.RootElement.TryGetProperty("erased_at", out _)) apply(key, true);
                    else if (doc.RootElement.TryGetProperty("opted_in_at", out _)) apply(key, false);
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    // Not a consent line: skipped, as in Read.
                }
            }
        }

        public void Dispose() => _file?.Dispose();
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
