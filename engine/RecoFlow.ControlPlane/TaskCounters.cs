namespace RecoFlow.ControlPlane;

/// <summary>
/// Cumulative counters of one task. <see cref="RecordsIn"/> counts records received over channels plus records read
/// by the task's source; <see cref="RecordsOut"/> records sent over channels plus records written by its sinks.
/// </summary>
/// <param name="Watermark">Current event-time watermark (epoch ms); null before the first one.</param>
/// <param name="Running">How long the task has been running (busy + idle + backpressured); zero before it starts.</param>
/// <param name="Node">The node the task runs on when it is not the job master's (a keyed task placed across the cluster).</param>
public sealed record TaskCounters(
    string TaskId, int VertexId, int Subtask, string Name, string State,
    long RecordsIn, long RecordsOut, long RecordsRead, long RecordsWritten,
    TimeSpan Busy, TimeSpan Backpressured, TimeSpan Running, long? Watermark, string? Node = null);
