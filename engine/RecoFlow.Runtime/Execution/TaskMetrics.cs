namespace RecoFlow.Runtime.Execution;

public enum TaskState { Created, Deploying, Running, Finished, Failed, Canceled }

/// <summary>
/// Live figures of one task. Written only by the task's own thread; other threads read them (values may be a moment
/// old). Busy, backpressured and idle times are as Flink defines them: busy while processing, backpressured while
/// output channels have no credit, idle otherwise.
/// </summary>
public sealed class TaskMetrics(TaskId id, string name)
{
    public TaskId Id { get; } = id;
    public string Name { get; } = name;
    public TaskState State { get; internal set; } = TaskState.Created;
    /// <summary>Address of the node the task runs on when it was placed away from its job master; null when it runs beside it.</summary>
    public string? Location { get; internal set; }
    /// <summary>Records received over input channels.</summary>
    public long RecordsIn;
    /// <summary>Records read by this task's source.</summary>
    public long RecordsRead;
    /// <summary>Records sent over output channels.</summary>
    public long RecordsOut;
    /// <summary>Records written by this task's sinks.</summary>
    public long RecordsWritten;
    public long CurrentWatermark = Api.Time.Watermark.NoTimestamp;
    public long BusyTicks;
    public long BackpressuredTicks;
    /// <summary>When the current backpressure began (Stopwatch ticks), 0 when not backpressured: readers add the time since.</summary>
    public long BackpressuredSinceTicks;
    public long StartedAtTicks;
}

/// <summary>All task metrics of a job, its state, restarts and checkpoint history.</summary>
public sealed class JobMetrics
{
    private const int CheckpointsKept = 200;
    private readonly List<TaskMetrics> _tasks = [];
    private readonly List<Checkpointing.CheckpointRecord> _checkpoints = [];
    private readonly Lock _lock = new();

    public JobState State { get; internal set; }
    public int Restarts { get; internal set; }
    public Checkpointing.CheckpointRecord? LastCheckpoint { get; internal set; }
    public string? SavepointPath { get; internal set; }

    /// <summary>Checkpoints completed (the final one included) since the job started, beyond the kept history.</summary>
    public long CheckpointsCompleted { get { lock (_lock) return _completed; } }

    /// <summary>Checkpoints that failed (declined, expired, or not persisted) since the job started.</summary>
    public long CheckpointsFailed { get { lock (_lock) return _failed; } }

    private long _completed;
    private long _failed;

    /// <summary>Recent checkpoints, completed and failed, oldest first.</summary>
    public IReadOnlyList<Checkpointing.CheckpointRecord> Checkpoints
    {
        get { lock (_lock) return _checkpoints.ToArray(); }
    }

    private readonly List<(DateTime At, string Cause)> _failures = [];

    /// <summary>Recent failures of job attempts (the causes of restarts), oldest first.</summary>
    public IReadOnlyList<(DateTime At, string Cause)> Failures
    {
        get { lock (_lock) return _failures.ToArray(); }
    }

    internal void AddFailure(Exception cause)
    {
        lock (_lock)
        {
            _failures.Add((DateTime.UtcNow, cause.Message));
            if (_failures.Count > 50) _failures.RemoveAt(0);
        }
    }

    internal void AddCheckpoint(Checkpointing.CheckpointRecord record)
    {
        lock (_lock)
        {
            _checkpoints.Add(record);
            if (_checkpoints.Count > CheckpointsKept) _checkpoints.RemoveAt(0);
            if (record.Status == Checkpointing.CheckpointStatus.Completed) _completed++;
            else if (record.Status == Checkpointing.CheckpointStatus.Failed) _failed++;
        }
    }

    public TaskMetrics Add(TaskId id, string name)
    {
        var m = new TaskMetrics(id, name);
        lock (_lock) _tasks.Add(m);
        return m;
    }

    public IReadOnlyList<TaskMetrics> Tasks
    {
        get { lock (_lock) return _tasks.ToArray(); }
    }
}
