using System.Collections.Concurrent;
using System.Diagnostics;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime;

namespace RecoFlow.ControlPlane;

/// <summary>The jobs submitted to an embedded <see cref="LocalRuntime"/>, followed through their <see cref="JobClient"/>s.</summary>
public sealed class LocalJobRegistry : IJobRegistry
{
    private readonly ConcurrentDictionary<string, LocalJobHandle> _jobs = new();

    public IReadOnlyList<IJobHandle> Jobs => _jobs.Values.OrderBy(j => j.SubmittedAt).ThenBy(j => j.Id, StringComparer.Ordinal).ToList<IJobHandle>();

    public IJobHandle? Find(string jobId) => _jobs.GetValueOrDefault(jobId);

    /// <summary>Registers a submitted job. The optional sources fill what the runtime does not expose yet.</summary>
    public LocalJobHandle Add(JobClient client, Func<IReadOnlyList<CheckpointView>>? checkpoints = null, Func<int>? restarts = null)
    {
        var handle = new LocalJobHandle(client, checkpoints, restarts);
        if (!_jobs.TryAdd(client.JobId, handle)) throw new ArgumentException($"job {client.JobId} is already registered", nameof(client));
        return handle;
    }
}

/// <summary>A job of the embedded runtime.</summary>
public sealed class LocalJobHandle : IJobHandle
{
    private readonly JobClient _client;
    private readonly Func<IReadOnlyList<CheckpointView>>? _checkpoints;
    private readonly Func<int>? _restarts;
    private DateTimeOffset? _endedAt;

    internal LocalJobHandle(JobClient client, Func<IReadOnlyList<CheckpointView>>? checkpoints, Func<int>? restarts)
    {
        _client = client;
        _checkpoints = checkpoints;
        _restarts = restarts;
        SubmittedAt = DateTimeOffset.UtcNow;
        Graph = ToView(client.Plan);
        client.Completion.ContinueWith(_ => _endedAt = DateTimeOffset.UtcNow, TaskScheduler.Default);
    }

    public string Id => _client.JobId;
    public string Name => _client.Plan.Graph.Name;
    public DateTimeOffset SubmittedAt { get; }
    public DateTimeOffset? EndedAt => _client.Completion.IsCompleted ? _endedAt ?? DateTimeOffset.UtcNow : null;
    public JobGraphView Graph { get; }
    public long DeadLetterCount => _client.DeadLetterCount;
    public int? Restarts => _restarts?.Invoke() ?? _client.Metrics.Restarts;

    public CheckpointCounts? CheckpointTotals => new(_client.Metrics.CheckpointsCompleted, _client.Metrics.CheckpointsFailed);

    public IReadOnlyList<CheckpointView> Checkpoints => _checkpoints?.Invoke() ?? _client.Metrics.Checkpoints
        .Select(c => new CheckpointView(c.Id, new DateTimeOffset(DateTime.SpecifyKind(c.TriggeredAt, DateTimeKind.Utc)), (long)c.DurationMs,
            c.Status == Runtime.Checkpointing.CheckpointStatus.Completed ? c.SizeBytes : null,
            c.Status == Runtime.Checkpointing.CheckpointStatus.Completed ? (long)Math.Round(c.AlignmentMs) : null,
            c.IsFinal ? "COMPLETED (final)" : c.Status.ToString().ToUpperInvariant(), c.FailureCause,
            c.Status == Runtime.Checkpointing.CheckpointStatus.Completed ? Math.Max(c.FullSizeBytes, c.SizeBytes) : null))
        .ToList();

    public JobState Status
    {
        get
        {
            if (_client.Completion.IsCompletedSuccessfully)
                return _client.Completion.Result.State is JobState.Finished or JobState.Canceled ? _client.Completion.Result.State : JobState.Failed;
            if (_client.Completion.IsCompleted) return JobState.Failed;
            return _client.Metrics.State is JobState.Running or JobState.Restarting ? _client.Metrics.State : JobState.Created;
        }
    }

    public string? FailureCause =>
        _client.Completion.IsCompletedSuccessfully ? _client.Completion.Result.Failure?.Message
        : _client.Completion.Exception?.GetBaseException().Message;

    public void Cancel() => _client.Cancel();

    public IReadOnlyList<TaskCounters> SampleTasks()
    {
        var now = Stopwatch.GetTimestamp();
        var tasks = _client.Metrics.Tasks;
        var result = new List<TaskCounters>(tasks.Count);
        foreach (var t in tasks)
        {
            var started = Volatile.Read(ref t.StartedAtTicks);
            var wm = Volatile.Read(ref t.CurrentWatermark);
            result.Add(new TaskCounters(
                t.Id.ToString(), t.Id.Vertex, t.Id.Subtask, t.Name, t.State.ToString().ToUpperInvariant(),
                Volatile.Read(ref t.RecordsIn) + Volatile.Read(ref t.RecordsRead),
                Volatile.Read(ref t.RecordsOut) + Volatile.Read(ref t.RecordsWritten),
                Volatile.Read(ref t.RecordsRead), Volatile.Read(ref t.RecordsWritten),
                Stopwatch.GetElapsedTime(0, Volatile.Read(ref t.BusyTicks)),
                Stopwatch.GetElapsedTime(0, Volatile.Read(ref t.BackpressuredTicks) + (Volatile.Read(ref t.BackpressuredSinceTicks) is var since and > 0 ? now - since : 0)),
                started == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(started, now),
                wm == RecoFlow.Api.Time.Watermark.NoTimestamp ? null : wm, t.Location));
        }
        return result;
    }

    private static JobGraphView ToView(ExecutionPlan plan) => new(
        plan.Vertices.Select(v => new VertexView(v.Id, v.Name, v.Parallelism, v.Nodes.Select(n => new OperatorView(n.Name, n.Kind)).ToList())).ToList(),
        plan.Vertices.SelectMany(v => v.Inputs).Select(e => new EdgeView(e.From.Id, e.To.Id, e.Partitioning.ToString().ToLowerInvariant())).ToList());
}
