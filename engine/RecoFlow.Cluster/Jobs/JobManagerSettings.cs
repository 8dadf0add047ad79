namespace RecoFlow.Cluster.Jobs;

/// <summary>Settings of the job manager (from <c>recoflow.cluster.job-manager</c>).</summary>
/// <param name="StateDirectory">Where jobs keep their state (JOB_ID/ below it: sink staging, savepoints). Shared by every node that may host the job manager.</param>
/// <param name="HandOverTimeout">How long a job manager that moves away waits for its jobs to stop.</param>
public sealed record JobManagerSettings(string StateDirectory, TimeSpan CheckpointInterval, TimeSpan SavepointTimeout, TimeSpan HandOverTimeout)
{
    /// <summary>How long a job master waits for its keyed tasks to start on the task region before it fails the attempt.</summary>
    public TimeSpan PlacementTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Task slots per worker node: a reactive job runs with worker nodes × this (<c>recoflow.cluster.slots-per-node</c>).</summary>
    public int SlotsPerNode { get; init; } = 1;

    /// <summary>How long the worker count must stay the same before reactive jobs are rescaled to it.</summary>
    public TimeSpan ReactiveStabilization { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after a failed rescale the next one may start.</summary>
    public TimeSpan ReactiveRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The autoscaler's thresholds; each autoscaled job has its own bounds in place of these min and max.</summary>
    public AutoscalerSettings Autoscaler { get; init; } = new(1, 1);
}
