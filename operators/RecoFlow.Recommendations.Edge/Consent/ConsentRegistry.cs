using System.Collections.Concurrent;
using RecoFlow.Recommendations.Privacy;

namespace RecoFlow.Recommendations.Edge.Consent;

/// <summary>
/// Who opted out of personalisation, by pseudonymous user id. /collect stops forwarding their events and the feed
/// stops pushing personalised lists to them at once; the erasure itself travels through the job (a control event).
/// With an <see cref="ErasureLog"/> every change is appended to it first, and the registry is the log's latest line per
/// user: it reads the log when created and follows it before each answer, so opt-outs made on another node sharing
/// the log, or before this node restarted, hold here too. Without a log it is in memory only. Thread-safe.
/// </summary>
public sealed class ConsentRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, long> _optedOut = new(StringComparer.Ordinal);
    private readonly ErasureLog.ConsentFollower? _follower;

    public ConsentRegistry(ErasureLog? log = null)
    {
        Log = log;
        _follower = log?.FollowConsent();
        Follow();
    }

    public ErasureLog? Log { get; }

    public bool IsOptedOut(string pseudonym)
    {
        Follow();
        return _optedOut.ContainsKey(pseudonym);
    }

    public int OptedOutCount
    {
        get
        {
            Follow();
            return _optedOut.Count;
        }
    }

    /// <summary>Records the opt-out (in the erasure log first, when there is one) and returns the erasure request.</summary>
    public ErasureRequest OptOut(string pseudonym, long nowMs)
    {
        var request = new ErasureRequest(pseudonym, nowMs);
        Log?.Append(request);
        _optedOut[pseudonym] = nowMs;
        return request;
    }

    /// <summary>Ends the user's opt-out (recorded in the erasure log first, when there is one); nothing erased comes back.</summary>
    public void OptIn(string pseudonym, long nowMs)
    {
        Log?.AppendOptIn(pseudonym, nowMs);
        _optedOut.TryRemove(pseudonym, out _);
    }

    /// <summary>Applies the log's lines appended since the last call (by any process), in file order.</summary>
    private void Follow()
    {
        if (_follower is null) return;
        lock (_follower)
            _follower.Poll((user, optedOut) =>
            {
                if (optedOut) _optedOut[user] = 0;
                else _optedOut.TryRemove(user, out _);
            });
    }

    public void Dispose()
    {
        if (_follower is null) return;
        lock (_follower) _follower.Dispose();
    }
}
