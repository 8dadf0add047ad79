using RecoFlow.Runtime;
using RecoFlow.ControlPlane;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Jobs;

/// <summary>What the job manager holds of each job: its journaled submission and rescales, and its current run.</summary>
public sealed partial class DispatcherActor
{
    private sealed class Entry(JobManagerEvent submitted)
    {
        public JobManagerEvent Submitted { get; } = submitted;
        public string Id => Submitted.JobId;
        public int Resubmissions { get; set; }
        public string? Node { get; set; }
        public string? EndState { get; set; }
        public string? FailureCause { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        public string? Savepoint { get; set; }
        public JobClient? Client { get; set; }
        public LocalJobHandle? View { get; set; }
        public int ClientAttempt { get; set; }
        /// <summary>Keeps the job's code loaded while it runs (an assembly's load context).</summary>
        public JobCodeCache.Lease? Loaded { get; set; }

        /// <summary>The job's parallelism override now: the submitter's <c>-p</c>, or reactive mode's latest.</summary>
        public int? Parallelism { get; set; } = submitted.Parallelism;
        /// <summary>How many times reactive mode rescaled the job; each rescale runs under a key of its own (<see cref="RunKey"/>).</summary>
        public int Generation { get; set; }
        /// <summary>The savepoint of the latest rescale: the run after it starts from there.</summary>
        public string? RescaleSavepoint { get; set; }
        public int MaxParallelism { get; set; } = int.MaxValue;
        /// <summary>The rescale under way (savepoint and stop taken, restart pending).</summary>
        public ScalingDecision? Rescaling { get; set; }
        /// <summary>The end of the run a rescale stops, held until the rescale is known to have worked.</summary>
        public RunEnded? PendingEnd { get; set; }
        public DateTimeOffset? LastRescaleFailure { get; set; }
        public List<ScalingDecisionView> Decisions { get; } = [];
        /// <summary>The autoscaler of an autoscaled job (created when its first run starts), and its last sample of the job's task counters.</summary>
        public AutoscalerPolicy? Autoscaler { get; set; }
        public IReadOnlyList<TaskCounters>? LastSample { get; set; }
        public bool Autoscaled => Submitted.MinParallelism is not null;

        /// <summary>
        /// The key of the job's checkpoints and loaded code in this generation: the job id, then a key of its own per
        /// rescale, so the restarted job resumes from the rescale's savepoint, not from checkpoints taken before it.
        /// </summary>
        public string RunKey => Generation == 0 ? Id : $"{Id}-r{Generation}";

        public JobSubmission Submission => new(Submitted.Job!, Submitted.Parameters ?? [], RescaleSavepoint ?? Submitted.FromSavepoint, Submitted.Assembly, Submitted.JobClass, Parallelism, Submitted.Reactive,
            Submitted.MinParallelism, Submitted.MaxParallelism);
    }
}
