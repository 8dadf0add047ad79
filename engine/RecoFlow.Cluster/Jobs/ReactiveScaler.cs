namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// The decisions of reactive mode (Flink's reactive mode): a reactive job runs with one task per slot of the worker
/// nodes that are up (worker nodes × <c>recoflow.cluster.slots-per-node</c>, at least 1, at most the job's max
/// parallelism), and is rescaled when that number changes. Membership changes are debounced: a rescale is decided only
/// once the worker count has not changed for <see cref="Stabilization"/>, so several nodes joining one after the other
/// cost one savepoint and restart, not one each. A rescale that failed is retried after <see cref="RetryDelay"/>.
/// The job manager feeds it the worker count and asks it per job; it carries the decisions out.
/// </summary>
public sealed class ReactiveScaler
{
    private DateTimeOffset? _changedAt;

    /// <param name="slotsPerNode">Tasks of each operator per worker node (<c>recoflow.cluster.slots-per-node</c>), at least 1.</param>
    /// <param name="stabilization">How long the worker count must stay the same before a job is rescaled to it.</param>
    /// <param name="retryDelay">How long after a failed rescale the next one may start.</param>
    public ReactiveScaler(int slotsPerNode, TimeSpan stabilization, TimeSpan retryDelay)
    {
        if (slotsPerNode < 1) throw new ArgumentOutOfRangeException(nameof(slotsPerNode), slotsPerNode, "recoflow.cluster.slots-per-node must be at least 1");
        if (stabilization < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(stabilization), stabilization, "the stabilization time must not be negative");
        if (retryDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(retryDelay), retryDelay, "the retry delay must not be negative");
        SlotsPerNode = slotsPerNode;
        Stabilization = stabilization;
        RetryDelay = retryDelay;
    }

    public int SlotsPerNode { get; }
    public TimeSpan Stabilization { get; }
    public TimeSpan RetryDelay { get; }

    /// <summary>The worker nodes last observed up.</summary>
    public int Workers { get; private set; }

    /// <summary>When the worker count last changed (or was first observed); null before the first observation.</summary>
    public DateTimeOffset? ChangedAt => _changedAt;

    /// <summary>The parallelism of a reactive job on <paramref name="workers"/> worker nodes.</summary>
    public static int Parallelism(int workers, int slotsPerNode, int maxParallelism)
    {
        if (maxParallelism < 1) throw new ArgumentOutOfRangeException(nameof(maxParallelism), maxParallelism, "the max parallelism must be at least 1");
        var slots = (long)Math.Max(workers, 0) * Math.Max(slotsPerNode, 1);
        return (int)Math.Clamp(slots, 1, maxParallelism);
    }

    /// <summary>The parallelism of a reactive job with max parallelism <paramref name="maxParallelism"/> on the workers last observed.</summary>
    public int ParallelismFor(int maxParallelism) => Parallelism(Workers, SlotsPerNode, maxParallelism);

    /// <summary>Records how many worker nodes are up; true when that is a change (the first observation is one).</summary>
    public bool ObserveWorkers(int workers, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workers);
        if (_changedAt is not null && workers == Workers) return false;
        Workers = workers;
        _changedAt = now;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="job"/> is to be rescaled now: null while the worker count is settling, while the job is
    /// busy (not running, or a rescale of it is under way), within <see cref="RetryDelay"/> of a failed rescale, with
    /// no worker node up, or when it already runs at the parallelism the workers give.
    /// </summary>
    public ScalingDecision? Decide(ReactiveJobState job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (_changedAt is not { } changed || Workers == 0 || job.Busy) return null;
        if (now - changed < Stabilization) return null;
        if (job.LastFailureAt is { } failed && now - failed < RetryDelay) return null;
        var target = ParallelismFor(job.MaxParallelism);
        if (target == job.Parallelism) return null;
        var slots = (long)Workers * SlotsPerNode;
        var reason = $"{Workers} worker node{(Workers == 1 ? "" : "s")} x {SlotsPerNode} slot{(SlotsPerNode == 1 ? "" : "s")} per node" +
            (slots > job.MaxParallelism ? $", capped at the job's max parallelism {job.MaxParallelism}" : "");
        return new ScalingDecision(job.JobId, job.Parallelism, target, Workers, now, reason);
    }
}

/// <summary>What <see cref="ReactiveScaler.Decide"/> needs to know of one reactive job.</summary>
/// <param name="Parallelism">The parallelism it runs at.</param>
/// <param name="Busy">It is not running (starting, restarting) or a rescale of it is under way.</param>
/// <param name="LastFailureAt">When its last rescale failed, if one did.</param>
public sealed record ReactiveJobState(string JobId, int Parallelism, int MaxParallelism, bool Busy, DateTimeOffset? LastFailureAt = null);

/// <summary>Rescale job <see cref="JobId"/> from <see cref="From"/> to <see cref="To"/>, decided at <see cref="At"/> on <see cref="Workers"/> worker nodes; <see cref="Reason"/> says why, for the log and the dashboard.</summary>
public sealed record ScalingDecision(string JobId, int From, int To, int Workers, DateTimeOffset At, string Reason);
