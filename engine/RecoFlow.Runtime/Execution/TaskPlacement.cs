using System.Diagnostics;
using Akka.Actor;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// Decides where a job's tasks run. Without one, every task is a child of the job master in this actor system. A
/// placement may host some tasks elsewhere (a cluster places keyed tasks on sharding entities across nodes): for each
/// such task the job master calls <see cref="Place"/>, and whatever hosts the task starts it with
/// <see cref="RemoteTasks.Start"/>, which answers the job master with the task's reference. The job master then wires
/// and deploys every task the same way, local or not.
/// </summary>
public interface ITaskPlacement
{
    /// <summary>True when the tasks of <paramref name="vertex"/> run elsewhere.</summary>
    bool IsRemote(JobVertex vertex);

    /// <summary>Asks for one task to be started; must not block (send a message).</summary>
    void Place(TaskPlacementRequest request);

    /// <summary>How long the job master waits for every placed task to report before it fails the attempt.</summary>
    TimeSpan Timeout => TimeSpan.FromSeconds(30);
}

/// <summary>
/// One task to start away from its job master: which task of which attempt, the key groups it owns, where the job's
/// files live, and whom to answer. Everything in it crosses the network.
/// </summary>
public sealed record TaskPlacementRequest(
    string JobId,
    int Attempt,
    int Vertex,
    int Subtask,
    string VertexUid,
    int Parallelism,
    int MaxParallelism,
    string? StateDirectory,
    bool Checkpointing,
    IActorRef Master)
{
    /// <summary>The key groups the task owns (its shard follows them).</summary>
    public RecoFlow.Runtime.KeyGroups.KeyGroupRange OwnedKeyGroups() => RecoFlow.Runtime.KeyGroups.KeyGroupAssignment.RangeOf(Subtask, MaxParallelism, Parallelism);
}

/// <summary>A placed task reports in: its reference, or why it could not start.</summary>
internal sealed record TaskPlaced(TaskId Task, int Attempt, IActorRef? Ref, string? Error);

/// <summary>
/// Live figures of a task that runs away from its job master, sent to the master every second (the master's
/// <see cref="TaskMetrics"/> are what the dashboard and the JSON API read). Times are in nanoseconds, relative to
/// the moment of the report, so that clocks of different processes never mix.
/// </summary>
internal sealed record TaskMetricsReport(
    TaskId Task,
    int Attempt,
    TaskState State,
    long RecordsIn,
    long RecordsRead,
    long RecordsOut,
    long RecordsWritten,
    long CurrentWatermark,
    long BusyNanos,
    long BackpressuredNanos,
    long BackpressuredForNanos,
    long RunningForNanos)
{
    private static readonly double NanosPerTick = 1e9 / Stopwatch.Frequency;

    public static TaskMetricsReport Of(TaskMetrics m, int attempt)
    {
        var now = Stopwatch.GetTimestamp();
        var since = m.BackpressuredSinceTicks;
        var started = m.StartedAtTicks;
        return new TaskMetricsReport(m.Id, attempt, m.State, m.RecordsIn, m.RecordsRead, m.RecordsOut, m.RecordsWritten, m.CurrentWatermark,
            (long)(m.BusyTicks * NanosPerTick), (long)(m.BackpressuredTicks * NanosPerTick),
            since == 0 ? 0 : (long)((now - since) * NanosPerTick), started == 0 ? 0 : (long)((now - started) * NanosPerTick));
    }

    public void ApplyTo(TaskMetrics m)
    {
        var now = Stopwatch.GetTimestamp();
        m.State = State;
        m.RecordsIn = RecordsIn;
        m.RecordsRead = RecordsRead;
        m.RecordsOut = RecordsOut;
        m.RecordsWritten = RecordsWritten;
        m.CurrentWatermark = CurrentWatermark;
        m.BusyTicks = (long)(BusyNanos / NanosPerTick);
        m.BackpressuredTicks = (long)(BackpressuredNanos / NanosPerTick);
        m.BackpressuredSinceTicks = BackpressuredForNanos == 0 ? 0 : now - (long)(BackpressuredForNanos / NanosPerTick);
        m.StartedAtTicks = RunningForNanos == 0 ? 0 : now - (long)(RunningForNanos / NanosPerTick);
    }
}

/// <summary>Starts tasks that a placement put on this node.</summary>
public static class RemoteTasks
{
    /// <summary>
    /// Starts the task <paramref name="request"/> names as a child of <paramref name="host"/> (an actor on the node
    /// that runs it), from this node's copy of the job's plan, and reports it to its job master. The task stops
    /// itself when its job master goes away (its node died or the job ended). Returns the task's reference.
    /// </summary>
    public static IActorRef Start(IActorContext host, LocalRuntime runtime, ExecutionPlan plan, TaskPlacementRequest request)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(request);
        var id = new TaskId(request.Vertex, request.Subtask);
        var vertex = plan.Vertices.FirstOrDefault(v => v.Id == request.Vertex);
        if (vertex is null || vertex.Uid != request.VertexUid || vertex.Parallelism != request.Parallelism)
            throw new InvalidOperationException($"task {id} ({request.VertexUid}, parallelism {request.Parallelism}) does not match this node's plan of job {request.JobId} " +
                $"({(vertex is null ? "no such vertex" : $"{vertex.Uid}, parallelism {vertex.Parallelism}")}): was the job built differently here?");
        var metrics = new TaskMetrics(id, vertex.Name);
        var deadLetters = new DeadLetterCollector(null, runtime.Settings.DeadLettersKept);
        var environment = TaskEnvironment.Factory(runtime.Settings, plan.Graph, SystemClock.Instance, deadLetters, request.StateDirectory, request.Checkpointing);
        var task = host.ActorOf(TaskActor.Props(id, vertex, request.Master, metrics, environment, remote: true), "task");
        request.Master.Tell(new TaskPlaced(id, request.Attempt, task, null), task);
        return task;
    }

    /// <summary>Tells the job master that the task could not start here (it fails the attempt and restarts).</summary>
    public static void Refuse(TaskPlacementRequest request, string reason) =>
        request.Master.Tell(new TaskPlaced(new TaskId(request.Vertex, request.Subtask), request.Attempt, null, reason));
}
