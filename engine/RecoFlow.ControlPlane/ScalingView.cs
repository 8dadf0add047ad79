namespace RecoFlow.ControlPlane;

/// <summary>How a job's parallelism is chosen, and the rescale decisions taken so far (oldest first).</summary>
/// <param name="Mode"><c>reactive</c>: worker nodes × slots per node, rescaled when nodes join or leave; <c>autoscaler</c>:
/// between <paramref name="MinParallelism"/> and <paramref name="MaxParallelism"/> on the job's measured busy and backpressured time.</param>
public sealed record ScalingView(string Mode, IReadOnlyList<ScalingDecisionView> Decisions, int? MinParallelism = null, int? MaxParallelism = null);

/// <summary>One rescale decision of a job.</summary>
/// <param name="Reason">Why, e.g. "3 worker nodes x 1 slot per node".</param>
/// <param name="Outcome"><c>in progress</c>, <c>done</c>, or <c>failed: CAUSE</c> (the job then runs on at <paramref name="From"/>).</param>
/// <param name="Savepoint">The savepoint the job was restarted from (once done).</param>
public sealed record ScalingDecisionView(DateTimeOffset At, int From, int To, int Workers, string Reason, string Outcome, string? Savepoint = null);
