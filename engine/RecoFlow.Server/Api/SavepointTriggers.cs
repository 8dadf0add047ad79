using System.Collections.Concurrent;
using RecoFlow.ControlPlane;

namespace RecoFlow.Server.Api;

/// <summary>Where an asynchronously triggered savepoint stands: IN_PROGRESS, COMPLETED (with its directory) or FAILED (with the cause).</summary>
public sealed record SavepointTriggerStatus(string RequestId, string JobId, string Status, string? Savepoint, string? Error, int? ErrorStatus);

/// <summary>
/// Savepoints triggered without waiting for them (Flink's REST <c>POST /jobs/:id/savepoints</c>, then polling the
/// trigger id): each trigger runs <see cref="IJobOperations.SavepointAsync"/> in the background and is kept, by id, for
/// <see cref="Kept"/> triggers. The triggers live in the node that received them: poll the same node.
/// </summary>
public sealed class SavepointTriggers(IJobOperations operations)
{
    /// <summary>How many triggers are remembered (the oldest finished ones are forgotten first).</summary>
    public const int Kept = 256;

    private readonly ConcurrentDictionary<string, Entry> _triggers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Starts the savepoint and returns its trigger id at once.</summary>
    public string Trigger(string jobId, SavepointCommand command)
    {
        var id = Guid.NewGuid().ToString("N");
        var entry = new Entry(jobId, operations.SavepointAsync(jobId, command, CancellationToken.None));
        _triggers[id] = entry;
        _order.Enqueue(id);
        Trim();
        return id;
    }

    /// <summary>The trigger's status; null for an id this node does not know (or no longer remembers), or of another job.</summary>
    public SavepointTriggerStatus? Find(string jobId, string requestId)
    {
        if (!_triggers.TryGetValue(requestId, out var e) || e.JobId != jobId) return null;
        if (!e.Operation.IsCompleted) return new(requestId, jobId, "IN_PROGRESS", null, null, null);
        if (!e.Operation.IsCompletedSuccessfully)
            return new(requestId, jobId, "FAILED", null, e.Operation.Exception?.GetBaseException().Message ?? "canceled", 500);
        var r = e.Operation.Result;
        return r.Status == 200
            ? new(requestId, jobId, "COMPLETED", r.Savepoint, null, null)
            : new(requestId, jobId, "FAILED", null, r.Error, r.Status);
    }

    private void Trim()
    {
        var over = _order.Count - Kept;
        for (var i = 0; i < over && _order.TryPeek(out var oldest); i++)
        {
            // Only finished triggers are forgotten: a running one stays until it ends and a later trigger trims it.
            if (_triggers.TryGetValue(oldest, out var e) && !e.Operation.IsCompleted) break;
            if (_order.TryDequeue(out var gone)) _triggers.TryRemove(gone, out _);
        }
    }

    private sealed record Entry(string JobId, Task<JobOperationResult> Operation);
}
