using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using RecoFlow.Api;
using RecoFlow.ControlPlane;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// Reactive mode's wiring in the job manager: it follows the worker nodes that are up, asks <see cref="ReactiveScaler"/>
/// once a second whether a reactive job is to be rescaled, and carries a decision out as Flink's reactive mode does:
/// a savepoint with stop, then the job restarts from it at the new parallelism (its keyed state redistributed by key
/// groups), journaled so that a new job manager resumes the rescaled job.
/// </summary>
public sealed partial class DispatcherActor : IWithTimers
{
    private readonly ReactiveScaler _scaler;
    private readonly HashSet<Address> _workers = [];
    private bool _workersKnown;

    /// <summary>Set by Akka: the actor's timers.</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record ReactiveTick
    {
        public static readonly ReactiveTick Instance = new();
    }

    /// <summary>A rescale's savepoint and stop ended: with <see cref="Savepoint"/> the job stopped, else <see cref="Failure"/> says why not.</summary>
    private sealed record RescaleStopped(string JobId, int Attempt, ScalingDecision Decision, string? Savepoint, string? Failure);

    private void StartFollowingWorkers()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer("reactive", ReactiveTick.Instance, TimeSpan.FromSeconds(1));
    }

    private void StopFollowingWorkers() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private static bool IsWorker(Member m) => m.HasRole(Hosting.ClusterNode.WorkerRole);

    private void WorkersChanged(object message)
    {
        switch (message)
        {
            case ClusterEvent.CurrentClusterState state:
                _workers.Clear();
                foreach (var m in state.Members.Where(m => m.Status == MemberStatus.Up && IsWorker(m))) _workers.Add(m.Address);
                break;
            case ClusterEvent.MemberUp up when IsWorker(up.Member):
                _workers.Add(up.Member.Address);
                break;
            case ClusterEvent.MemberLeft or ClusterEvent.MemberExited or ClusterEvent.MemberRemoved or ClusterEvent.MemberDowned:
                _workers.Remove(((ClusterEvent.IMemberEvent)message).Member.Address);
                break;
            default:
                return;
        }
        _workersKnown = true;
        if (_scaler.ObserveWorkers(_workers.Count, DateTimeOffset.UtcNow) && _jobs.Values.Any(ReactiveAndRunning))
            _log.Warning("job manager on {Node}: {Workers} worker nodes up; reactive jobs are rescaled to them once that has held for {Stabilization}",
                _node, _workers.Count, _scaler.Stabilization);
    }

    private static bool ReactiveAndRunning(Entry e) => e.Submitted.Reactive && e.EndState is null && e.Client is { Completion.IsCompleted: false };

    /// <summary>Reactive mode's parallelism for a new submission: worker nodes × slots per node, capped by the job's max parallelism.</summary>
    private JobSubmission ReactiveSubmission(JobSubmission submission)
    {
        if (submission.MinParallelism is not null || submission.MaxParallelism is not null)
            throw new JobSubmissionException($"job '{submission.Job}': --reactive and --min-parallelism/--max-parallelism are two ways of scaling a job: choose one");
        if (submission.Parallelism is not null)
            throw new JobSubmissionException($"job '{submission.Job}': --reactive derives the parallelism from the worker nodes (recoflow.cluster.slots-per-node per node); give no -p/--parallelism");
        if (submission.Parameters.ContainsKey(JobGraphBuilding.ParallelismParameter))
            throw new JobSubmissionException($"job '{submission.Job}': --reactive sets the parameter '{JobGraphBuilding.ParallelismParameter}' itself; give no --param {JobGraphBuilding.ParallelismParameter}=...");
        if (!_workersKnown)
            _scaler.ObserveWorkers(Akka.Cluster.Cluster.Get(Context.System).State.Members.Count(m => m.Status == MemberStatus.Up && IsWorker(m)), DateTimeOffset.UtcNow);
        int max;
        using (var plain = _catalog.Load(submission)) max = plain.Graph.MaxParallelism;
        return submission with { Parallelism = _scaler.ParallelismFor(max) };
    }

    private void ReactiveCheck()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var entry in _jobs.Values.Where(ReactiveAndRunning).ToList())
        {
            var busy = entry.Rescaling is not null || entry.Client!.Metrics.State != JobState.Running;
            var state = new ReactiveJobState(entry.Id, entry.Parallelism ?? 1, entry.MaxParallelism, busy, entry.LastRescaleFailure);
            if (_scaler.Decide(state, now) is { } decision) Rescale(entry, decision, "reactive mode");
        }
    }

    /// <param name="by">Who decided, for the log: reactive mode or the autoscaler.</param>
    private void Rescale(Entry entry, ScalingDecision decision, string by)
    {
        _log.Warning("job {JobId}: {By} rescales it from parallelism {From} to {To} ({Reason}): savepoint, stop, restart from the savepoint",
            entry.Id, by, decision.From, decision.To, decision.Reason);
        entry.Rescaling = decision;
        entry.Decisions.Add(new ScalingDecisionView(decision.At, decision.From, decision.To, decision.Workers, decision.Reason, "in progress"));
        var client = entry.Client!;
        var attempt = entry.ClientAttempt;
        var directory = Path.Combine(JobDirectory(entry.Id), "savepoints");
        var savepointTimeout = _settings.SavepointTimeout;
        var stopTimeout = _settings.HandOverTimeout;
        Task.Run(async () =>
        {
            string path;
            try { path = await client.TriggerSavepointAsync(directory, stop: true, savepointTimeout); }
            catch (Exception e) { return new RescaleStopped(entry.Id, attempt, decision, null, e.GetBaseException().Message); }
            // The new run starts only once every task of this one has stopped (the two would write the same output).
            try { await client.Completion.WaitAsync(stopTimeout); }
            catch (TimeoutException) { return new RescaleStopped(entry.Id, attempt, decision, null, $"savepoint {path} written, but the job did not stop within {stopTimeout}"); }
            catch (Exception) { /* the run ended as a whole: what matters is that it has */ }
            return new RescaleStopped(entry.Id, attempt, decision, path, null);
        }).PipeTo(Self);
    }

    private void RescaleDone(RescaleStopped r)
    {
        if (!_jobs.TryGetValue(r.JobId, out var entry) || entry.ClientAttempt != r.Attempt || entry.Rescaling != r.Decision) return;
        if (r.Savepoint is null)
        {
            entry.Rescaling = null;
            entry.LastRescaleFailure = DateTimeOffset.UtcNow;
            Outcome(entry, r.Decision, $"failed: {r.Failure}", null);
            _log.Warning("job {JobId}: rescale from {From} to {To} failed ({Cause}); it runs on at parallelism {From}; the next attempt in {RetryDelay}",
                entry.Id, r.Decision.From, r.Decision.To, r.Failure, r.Decision.From, _scaler.RetryDelay);
            if (entry.PendingEnd is { } end)
            {
                entry.PendingEnd = null;
                Ended(end);
            }
            return;
        }
        var rescaled = new JobManagerEvent
        {
            Kind = JobManagerEventKind.Rescaled,
            JobId = entry.Id,
            At = DateTime.UtcNow,
            Parallelism = r.Decision.To,
            Savepoint = r.Savepoint,
            Generation = entry.Generation + 1,
            Reason = r.Decision.Reason,
            Workers = r.Decision.Workers,
        };
        Persist(rescaled.ToBytes(), _ =>
        {
            Apply(rescaled);
            entry.Rescaling = null;
            entry.PendingEnd = null;
            entry.Autoscaler?.Rescaled(DateTimeOffset.UtcNow); // the cool-down runs from the restart
            entry.LastSample = null;
            if (_handingOver) return; // the next job manager restarts it from the journaled savepoint
            _log.Warning("job {JobId}: restarting at parallelism {Parallelism} from savepoint {Savepoint}", entry.Id, r.Decision.To, r.Savepoint);
            StartRun(entry);
        });
    }

    /// <summary>A journaled rescale: the next run starts from its savepoint at its parallelism, under a key of its own.</summary>
    private static void ApplyRescaled(Entry entry, JobManagerEvent e)
    {
        var from = entry.Parallelism ?? 0;
        entry.Parallelism = e.Parallelism;
        entry.Generation = e.Generation;
        entry.RescaleSavepoint = e.Savepoint;
        var at = new DateTimeOffset(DateTime.SpecifyKind(e.At, DateTimeKind.Utc));
        if (entry.Rescaling is { } d && d.To == e.Parallelism) Outcome(entry, d, "done", e.Savepoint);
        else
        {
            entry.Decisions.Add(new ScalingDecisionView(at, from, e.Parallelism ?? 0, e.Workers, e.Reason ?? "", "done", e.Savepoint));
            Trim(entry);
        }
    }

    private static void Outcome(Entry entry, ScalingDecision decision, string outcome, string? savepoint)
    {
        var i = entry.Decisions.FindLastIndex(v => v.At == decision.At && v.To == decision.To);
        if (i >= 0) entry.Decisions[i] = entry.Decisions[i] with { Outcome = outcome, Savepoint = savepoint };
        Trim(entry);
    }

    /// <summary>Keeps the last 20 decisions: a job that runs for weeks on a changing cluster would otherwise grow its status without end.</summary>
    private static void Trim(Entry entry)
    {
        if (entry.Decisions.Count > 20) entry.Decisions.RemoveRange(0, entry.Decisions.Count - 20);
    }
}
