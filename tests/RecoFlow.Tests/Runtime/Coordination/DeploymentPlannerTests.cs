using Akka.Actor;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Coordination;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Runtime.Coordination;

/// <summary>The deployment of a plan's tasks worked out without deploying anything: channel layout, restore, state ids.</summary>
public sealed class DeploymentPlannerTests
{
    // Two sources (parallelism 2 and 1) unioned into a map of parallelism 3: the map has two input edges.
    private static ExecutionPlan Plan()
    {
        var job = new StreamJob("wiring");
        var a = job.FromSource(new CollectionSource<int>([1, 2], splits: 2), WatermarkStrategy<int>.NoWatermarks(), "a").SetParallelism(2);
        var b = job.FromSource(new CollectionSource<int>([3]), WatermarkStrategy<int>.NoWatermarks(), "b").SetParallelism(1);
        a.Union(b).Rebalance().Map(x => x, "map").SetParallelism(3).SinkTo(new CollectSink<int>(), "sink").SetParallelism(3);
        return ExecutionPlan.Create(job.Build());
    }

    private static JobVertex Vertex(ExecutionPlan plan, string name) => plan.Vertices.Single(v => v.Name.StartsWith(name, StringComparison.Ordinal));

    [Fact]
    public void Every_writer_has_a_channel_per_downstream_subtask_numbered_over_input_edges_then_upstream_subtasks()
    {
        var plan = Plan();
        var (a, b, map) = (Vertex(plan, "a"), Vertex(plan, "b"), Vertex(plan, "map"));
        var planner = new DeploymentPlanner(plan, "job-key", checkpointing: null);
        var tasks = planner.Tasks().ToDictionary(t => t.Id, t => (IActorRef)new NamedRef($"t{t.Id.Vertex}-{t.Id.Subtask}"));
        Assert.Equal(6, tasks.Count);
        Assert.Equal(new[] { new TaskId(a.Id, 0), new TaskId(a.Id, 1), new TaskId(b.Id, 0) }.OrderBy(t => t.Vertex), planner.SourceTasks().OrderBy(t => t.Vertex).ThenBy(t => t.Subtask));

        var deployments = planner.Deployments(attempt: 4, tasks, restore: null).ToDictionary(d => d.Id, d => d.Deploy);
        Assert.All(deployments.Values, d => Assert.Equal(4, d.Attempt));
        Assert.All(deployments.Values, d => Assert.Null(d.Checkpointing));

        // Map subtask j reads a0, a1 (its first input edge), then b0: channels 0, 1, 2.
        for (var j = 0; j < 3; j++)
        {
            var inputs = deployments[new TaskId(map.Id, j)].Inputs;
            Assert.Equal([tasks[new(a.Id, 0)], tasks[new(a.Id, 1)], tasks[new(b.Id, 0)]], inputs.Select(i => i.Task));
            Assert.All(inputs, i => Assert.Equal(j, i.Channel));
        }
        // Writer of a_i targets every map subtask at input channel i; b_0's at channel 2 (after a's two).
        for (var i = 0; i < 2; i++)
        {
            var targets = Assert.Single(deployments[new TaskId(a.Id, i)].WriterTargets);
            Assert.Equal(Enumerable.Range(0, 3).Select(j => tasks[new(map.Id, j)]), targets.Select(t => t.Task));
            Assert.All(targets, t => Assert.Equal(i, t.InputChannel));
        }
        Assert.All(Assert.Single(deployments[new TaskId(b.Id, 0)].WriterTargets), t => Assert.Equal(2, t.InputChannel));
        Assert.Equal(2, DeploymentPlanner.InputChannelOffset(map.Inputs[1]));
    }

    [Fact]
    public void With_checkpoints_each_task_gets_its_state_id_and_its_part_of_the_restore()
    {
        var plan = Plan();
        var map = Vertex(plan, "map");
        var planner = new DeploymentPlanner(plan, "job-key", checkpointing: new CheckpointOptions());
        var tasks = planner.Tasks().ToDictionary(t => t.Id, t => (IActorRef)new NamedRef($"t{t.Id.Vertex}-{t.Id.Subtask}"));
        var restored = new TaskRestore(7, new Dictionary<string, OperatorSnapshot>(), null);
        var restore = new Dictionary<TaskId, TaskRestore> { [new TaskId(map.Id, 1)] = restored };

        var deployments = planner.Deployments(1, tasks, restore).ToDictionary(d => d.Id, d => d.Deploy);
        Assert.Same(restored, deployments[new TaskId(map.Id, 1)].Restore);
        Assert.Null(deployments[new TaskId(map.Id, 0)].Restore);
        Assert.Equal(CheckpointStoreActor.TaskPersistenceId("job-key", map.Uid, 2), deployments[new TaskId(map.Id, 2)].Checkpointing?.PersistenceId);
    }

    [Fact]
    public void Final_states_name_where_each_finished_task_state_is_stored()
    {
        // Tasks write their final states themselves, under the persistence id their deployment names: one per task.
        var plan = Plan();
        var map = Vertex(plan, "map");
        var planner = new DeploymentPlanner(plan, "job-key", checkpointing: new CheckpointOptions());
        var tasks = planner.Tasks().ToDictionary(t => t.Id, t => (IActorRef)new NamedRef($"t{t.Id.Vertex}-{t.Id.Subtask}"));

        var deployments = planner.Deployments(1, tasks, restore: null).ToDictionary(d => d.Id, d => d.Deploy);
        Assert.Equal(CheckpointStoreActor.TaskPersistenceId("job-key", map.Uid, 2), deployments[new TaskId(map.Id, 2)].Checkpointing?.PersistenceId);
        Assert.Equal(deployments.Count, deployments.Values.Select(d => d.Checkpointing!.PersistenceId).Distinct(StringComparer.Ordinal).Count());
        // Incremental checkpoints are the default: a full row at least every CheckpointOptions.FullEvery checkpoints.
        Assert.All(deployments.Values, d => Assert.Equal(new CheckpointOptions().FullEvery, d.Checkpointing!.FullEvery));
    }
}
