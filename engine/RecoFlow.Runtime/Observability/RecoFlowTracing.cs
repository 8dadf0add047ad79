using System.Diagnostics;

namespace RecoFlow.Runtime.Observability;

/// <summary>
/// The engine's spans (System.Diagnostics <see cref="ActivitySource"/> <see cref="SourceName"/>, exported by
/// OpenTelemetry when a host adds the source): <c>job.submit</c>, <c>job.deploy</c> (an attempt's tasks deployed and
/// started, with the checkpoint it restored), <c>checkpoint</c> (trigger to completion or failure, with its id and
/// size), <c>job.failover</c> (an attempt failed: the cause and the restart delay). Checkpoints and deployments span
/// several actor messages, so they are recorded when they end, with their real start and end times; no span stays
/// current on an actor's thread.
/// </summary>
public static class RecoFlowTracing
{
    public const string SourceName = "RecoFlow";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Records a finished span from <paramref name="start"/> to <paramref name="end"/> (UTC), if anyone listens.</summary>
    public static void Record(string name, DateTime start, DateTime end, IEnumerable<KeyValuePair<string, object?>> tags, string? error = null)
    {
        if (!Source.HasListeners()) return;
        var previous = Activity.Current;
        Activity.Current = null; // a root span: the actor's thread carries no context of its own
        using var activity = Source.StartActivity(name, ActivityKind.Internal, default(ActivityContext), tags, null, new DateTimeOffset(DateTime.SpecifyKind(start, DateTimeKind.Utc)));
        if (activity is not null)
        {
            if (error is not null) activity.SetStatus(ActivityStatusCode.Error, error);
            activity.SetEndTime(DateTime.SpecifyKind(end < start ? start : end, DateTimeKind.Utc));
        }
        activity?.Stop();
        Activity.Current = previous;
    }
}
