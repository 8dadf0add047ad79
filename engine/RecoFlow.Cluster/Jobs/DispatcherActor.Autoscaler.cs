using RecoFlow.Api;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// The autoscaler's wiring in the job manager: once a second it samples every autoscaled job's task counters, feeds
/// the utilization between two samples to the job's <see cref="AutoscalerPolicy"/>, and carries a decision out as
/// reactive mode does (savepoint, stop, restart from the savepoint at the new parallelism).
/// </summary>
public sealed partial class DispatcherActor
{
    /// <summary>Bounds and starting parallelism of an autoscaled submission: the max defaults to the job's max parallelism; -p, if given, must lie between them.</summary>
    private JobSubmission AutoscaledSubmission(JobSubmission submission)
    {
        if (submission.Parameters.ContainsKey(JobGraphBuilding.ParallelismParameter))
            throw new JobSubmissionException($"job '{submission.Job}': the autoscaler sets the parameter '{JobGraphBuilding.ParallelismParameter}' itself; give -p for the starting parallelism instead of --param {JobGraphBuilding.ParallelismParameter}=...");
        int jobMax;
        using (var plain = _catalog.Load(submission with { Parallelism = null })) jobMax = plain.Graph.MaxParallelism;
        var min = submission.MinParallelism ?? 1;
        var max = submission.MaxParallelism ?? jobMax;
        if (max > jobMax) throw new JobSubmissionException($"job '{submission.Job}': --max-parallelism {max} exceeds the job's max parallelism {jobMax}");
        if (min > max) throw new JobSubmissionException($"job '{submission.Job}': --min-parallelism {min} is above --max-parallelism {max}");
        var start = submission.Parallelism ?? min;
        if (start < min || start > max) throw new JobSubmissionException($"job '{submission.Job}': -p {start} lies outside --min-parallelism {min} and --max-parallelism {max}");
        return submission with { MinParallelism = min, MaxParallelism = max, Parallelism = start };
    }

    private void AutoscalerCheck()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var entry in _jobs.Values.Where(e => e.Autoscaled && e.EndState is null && e.Client is { Completion.IsCompleted: false }).ToList())
        {
            entry.Autoscaler ??= new AutoscalerPolicy(_settings.Autoscaler with { MinParallelism = entry.Submitted.MinParallelism!.Value, MaxParallelism = entry.Submitted.MaxParallelism ?? entry.MaxParallelism });
            if (entry.Rescaling is not null || entry.Client!.Metrics.State != JobState.Running || entry.View is null)
            {
                entry.LastSample = null; // a gap: the policy starts its measurement over
                continue;
            }
            var sample = entry.View.SampleTasks();
            var previous = entry.LastSample;
            entry.LastSample = sample;
            if (previous is null) continue;
            var parallelism = entry.Parallelism ?? entry.Submitted.MinParallelism!.Value;
            if (entry.Autoscaler.Observe(now, AutoscalerPolicy.Utilization(previous, sample), parallelism) is { } d)
                Rescale(entry, new ScalingDecision(entry.Id, d.From, d.To, _scaler.Workers, d.At, d.Reason), "the autoscaler");
        }
    }
}
