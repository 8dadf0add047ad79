using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// Places a task on a sharding entity of the <c>recoflow-task</c> region. Entity and shard ids name the job, the run
/// (one job master's life: a new job manager starts a new run), the attempt and the task, so every attempt allocates
/// its shards anew over the nodes that are members then (a node that joined takes key groups at the next restart), and
/// a task of an old run or attempt never meets a new one. The shard id ends with the key groups the task owns.
/// </summary>
/// <param name="JobId">The cluster's id of the job (unique across job managers, unlike the job master's local id).</param>
/// <param name="RunId">Distinguishes the runs of one job (each job manager that runs it starts a new one).</param>
public sealed record PlaceTask(string JobId, string RunId, JobSubmission Submission, TaskPlacementRequest Request)
{
    /// <summary>Shards of one attempt of one run share this prefix.</summary>
    public string AttemptPrefix() => $"{JobId}|{RunId}|{Request.Attempt}|";

    public string EntityId() => $"{AttemptPrefix()}{Request.Vertex}|{Request.Subtask}";

    public string ShardId()
    {
        var range = Request.OwnedKeyGroups();
        return $"{AttemptPrefix()}{Request.VertexUid}|{range.Start}-{range.End}";
    }

    /// <summary>The <see cref="AttemptPrefix"/> of a task shard id (<c>JOB|RUN|ATTEMPT|</c>); empty for a shard id of another form.</summary>
    public static string AttemptPrefixOf(string shardId)
    {
        var end = -1;
        for (var i = 0; i < 3; i++)
        {
            end = shardId.IndexOf('|', end + 1);
            if (end < 0) return "";
        }
        return shardId[..(end + 1)];
    }

    /// <summary>The shards of one vertex in one attempt share this prefix (<c>JOB|RUN|ATTEMPT|VERTEX_UID|</c>); empty for a shard id of another form.</summary>
    public static string VertexPrefixOf(string shardId) =>
        AttemptPrefixOf(shardId).Length == 0 ? "" : shardId[..(shardId.LastIndexOf('|') + 1)];

    /// <summary>How many key groups a task shard owns (its id ends with <c>|FIRST-LAST</c>); 0 for a shard id of another form.</summary>
    public static int KeyGroupsOf(string shardId)
    {
        var range = shardId[(shardId.LastIndexOf('|') + 1)..].Split('-');
        return range.Length == 2 && int.TryParse(range[0], out var first) && int.TryParse(range[1], out var last) && last >= first ? last - first + 1 : 0;
    }
}

/// <summary>Routes <see cref="PlaceTask"/> by its own entity and shard ids.</summary>
public sealed class TaskMessageExtractor : IMessageExtractor
{
    public string? EntityId(object message) => (message as PlaceTask)?.EntityId();

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => (message as PlaceTask)?.ShardId();

    public string ShardId(string entityId, object? messageHint = null) =>
        messageHint is PlaceTask p ? p.ShardId() : throw new ArgumentException($"no shard id for entity {entityId} without its message", nameof(messageHint));
}

/// <summary>
/// Keyed vertices (those fed by a key-by) run on the task region, spread over the nodes with the worker role;
/// everything else (sources, forward chains, sinks that are not keyed) stays with the job master.
/// </summary>
public sealed class ShardedTaskPlacement(IActorRef region, string jobId, JobSubmission submission, TimeSpan timeout) : ITaskPlacement
{
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];

    public bool IsRemote(JobVertex vertex) => vertex.IsKeyed;

    public void Place(TaskPlacementRequest request) => region.Tell(new PlaceTask(jobId, _runId, submission, request));

    public TimeSpan Timeout => timeout;
}

/// <summary>
/// A sharding entity that hosts one task: it loads the job's code on this node (shared with the node's other tasks
/// of the job through <see cref="JobCodeCache"/>), starts the task from this node's plan, and passivates when the
/// task stops. A task that throws while starting is stopped, not restarted: its job master fails the attempt over.
/// </summary>
public sealed class TaskEntity : UntypedActor
{
    private readonly LocalRuntime _runtime;
    private readonly JobCodeCache _code;
    private JobCodeCache.Lease? _lease;
    private IActorRef? _task;

    public TaskEntity(LocalRuntime runtime, JobCodeCache code)
    {
        _runtime = runtime;
        _code = code;
    }

    public static Props Props(LocalRuntime runtime, JobCodeCache code) => Akka.Actor.Props.Create(() => new TaskEntity(runtime, code));

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PlaceTask p when _task is null:
                try
                {
                    _lease = _code.Acquire(p.JobId, p.Submission);
                    _task = RemoteTasks.Start(Context, _runtime, _lease.Plan, p.Request);
                    Context.Watch(_task);
                }
                catch (Exception e)
                {
                    RemoteTasks.Refuse(p.Request, $"on {Akka.Cluster.Cluster.Get(Context.System).SelfAddress}: {e.Message}");
                    Context.Parent.Tell(new Passivate(PoisonPill.Instance));
                }
                break;
            case PlaceTask p:
                RemoteTasks.Refuse(p.Request, $"entity {p.EntityId()} already hosts a task");
                break;
            case Terminated t when t.ActorRef.Equals(_task):
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PostStop()
    {
        _lease?.Dispose();
        _lease = null;
    }
}

/// <summary>
/// Allocates a new shard to the region with the fewest shards of the same vertex in the same attempt of the same job
/// (so each keyed vertex's tasks spread over the nodes that are members when the attempt starts, also in a job with
/// several keyed vertices), then the fewest shards of the attempt (so the nodes carry as many of the job's tasks), then
/// the fewest shards overall, then the lowest address; and never rebalances: a
/// running task is not moved. A node that joins takes shards that are allocated after it joined (the tasks of a new
/// attempt after a failover or a savepoint-and-resume, and new jobs); shards of a node that left are allocated again
/// when their tasks are placed next.
/// </summary>
public sealed class SpreadShardAllocationStrategy : IShardAllocationStrategy
{
    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        if (currentShardAllocations.Count == 0) return Task.FromResult(requester);
        var attempt = PlaceTask.AttemptPrefixOf(shardId);
        var vertex = PlaceTask.VertexPrefixOf(shardId);
        var best = currentShardAllocations
            .OrderBy(kv => vertex.Length == 0 ? 0 : kv.Value.Count(s => s.StartsWith(vertex, StringComparison.Ordinal)))
            .ThenBy(kv => attempt.Length == 0 ? 0 : kv.Value.Count(s => s.StartsWith(attempt, StringComparison.Ordinal)))
            .ThenBy(kv => kv.Value.Count)
            .ThenBy(kv => kv.Key.Path.Address.ToString(), StringComparer.Ordinal)
            .ThenBy(kv => kv.Key.Path.ToStringWithoutAddress(), StringComparer.Ordinal) // regions of one node: by name, not by the dictionary's hash order
            .First().Key;
        return Task.FromResult(best);
    }

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
        Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);
}
