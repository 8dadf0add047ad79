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
    public long StartedAtTicks;
}

/// <summary>All task metrics of a job.</summary>
public sealed class JobMetrics
{
    private readonly List<TaskMetrics> _tasks = [];
    private readonly Lock _lock = new();

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
