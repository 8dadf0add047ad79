using System.Collections.Concurrent;
using RecoFlow.Operators.Privacy;

namespace RecoFlow.Server.Privacy;

/// <summary>
/// Who opted out of personalisation on this node, by pseudonymous user id. /collect stops forwarding their events and
/// the feed stops pushing personalised lists to them at once; the erasure itself travels through the job (a control
/// event) and is made durable in the <see cref="ErasureLog"/> first. Thread-safe.
/// </summary>
public sealed class ConsentRegistry(ErasureLog? log = null)
{
    private readonly ConcurrentDictionary<string, long> _optedOut = new(StringComparer.Ordinal);

    public ErasureLog? Log { get; } = log;

    public bool IsOptedOut(string pseudonym) => _optedOut.ContainsKey(pseudonym);

    public int OptedOutCount => _optedOut.Count;

    /// <summary>Records the opt-out (in the erasure log first, when there is one) and returns the erasure request.</summary>
    public ErasureRequest OptOut(string pseudonym, long nowMs)
    {
        var request = new ErasureRequest(pseudonym, nowMs);
        Log?.Append(request);
        _optedOut[pseudonym] = nowMs;
        return request;
    }

    public void OptIn(string pseudonym) => _optedOut.TryRemove(pseudonym, out _);
}
