using Akka.Actor;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Runtime.Coordination;

/// <summary>
/// Works out what each task of a plan is deployed with (Flink: building the TaskDeploymentDescriptors of an
/// ExecutionGraph): the channels of its writers and inputs, what it restores, and where its checkpointed state lives.
/// </summary>
internal sealed class DeploymentPlanner
{
    private readonly ExecutionPlan _plan;
    private readonly string _jobKey;
    private readonly CheckpointOptions? _checkpointing;

    /// <param name="checkpointing">The job's checkpoint options; null when it runs without checkpoints.</param>
    public DeploymentPlanner(ExecutionPlan plan, string jobKey, CheckpointOptions? checkpointing)
    {
        _plan = plan;
        _jobKey = jobKey;
        _checkpointing = checkpointing;
    }

    /// <summary>Every task of the plan, vertex by vertex, subtask by subtask.</summary>
    public IEnumerable<(TaskId Id, JobVertex Vertex)> Tasks()
    {
        foreach (var v in _plan.Vertices)
            for (var i = 0; i < v.Parallelism; i++)
                yield return (new TaskId(v.Id, i), v);
    }

    /// <summary>The tasks that checkpoints are triggered at.</summary>
    public IEnumerable<TaskId> SourceTasks() => Tasks().Where(t => t.Vertex.IsSource).Select(t => t.Id);

    /// <summary>The deployment of every task of attempt <paramref name="attempt"/>, once all of <paramref name="tasks"/> exist.</summary>
    public IEnumerable<(TaskId Id, DeployTask Deploy)> Deployments(int attempt, IReadOnlyDictionary<TaskId, IActorRef> tasks, IReadOnlyDictionary<TaskId, TaskRestore>? restore)
    {
        foreach (var (id, v) in Tasks())
        {
            var checkpointing = _checkpointing is { } options
                ? new TaskCheckpointing(CheckpointStoreActor.TaskPersistenceId(_jobKey, v.Uid, id.Subtask), options.Incremental ? options.FullEvery : 1)
                : null;
            yield return (id, Deployment(v, id.Subtask, attempt, tasks, restore?.GetValueOrDefault(id), checkpointing));
        }
    }

    /// <summary>
    /// Channel layout: a writer of subtask i on edge e has one channel per downstream subtask j; the downstream task
    /// numbers its input channels over its input edges in order, then over upstream subtasks.
    /// </summary>
    private static DeployTask Deployment(JobVertex v, int subtask, int attempt, IReadOnlyDictionary<TaskId, IActorRef> tasks, TaskRestore? restore, TaskCheckpointing? checkpointing)
    {
        var writers = new List<IReadOnlyList<ChannelTarget>>();
        foreach (var e in v.Outputs)
        {
            var offset = InputChannelOffset(e);
            writers.Add(Enumerable.Range(0, e.To.Parallelism).Select(j => new ChannelTarget(tasks[new TaskId(e.To.Id, j)], offset + subtask)).ToList());
        }
        var inputs = new List<ChannelSource>();
        foreach (var e in v.Inputs)
            for (var i = 0; i < e.From.Parallelism; i++)
                inputs.Add(new ChannelSource(tasks[new TaskId(e.From.Id, i)], e.WriterIndex, subtask, e.Edge.InputIndex));
        return new DeployTask(attempt, writers, inputs, restore, checkpointing);
    }

    internal static int InputChannelOffset(VertexEdge edge)
    {
        var offset = 0;
        foreach (var e in edge.To.Inputs)
        {
            if (e == edge) return offset;
            offset += e.From.Parallelism;
        }
        throw new InvalidOperationException("edge is not an input of its target");
    }
}
