using RecoFlow.Api.State;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Users;

/// <summary>The erasure bookkeeping shared by the keyed functions that hold a user's state.</summary>
public static class Erasures
{
    /// <summary>Clears the state of every user in the log (after a restore this removes what an older checkpoint still held) and returns the erasure times.</summary>
    public static Dictionary<string, long> Apply(Func<IReadOnlyDictionary<string, long>>? log, IKeyedStateBackend<string> backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var erased = new Dictionary<string, long>(StringComparer.Ordinal);
        if (log is null) return erased;
        foreach (var (key, at) in log())
        {
            erased[key] = at;
            backend.ClearKey(key);
        }
        return erased;
    }

    public static void Record(Dictionary<string, long> erased, UserEvent erasure)
    {
        ArgumentNullException.ThrowIfNull(erased);
        ArgumentNullException.ThrowIfNull(erasure);
        erased[erasure.UserKey] = erased.TryGetValue(erasure.UserKey, out var at) ? Math.Max(at, erasure.TimestampMs) : erasure.TimestampMs;
    }

    /// <summary>True for an event of an erased user that happened at or before the erasure (a replay).</summary>
    public static bool Covers(Dictionary<string, long> erased, UserEvent e) =>
        erased.TryGetValue(e.UserKey, out var at) && e.TimestampMs <= at;
}
