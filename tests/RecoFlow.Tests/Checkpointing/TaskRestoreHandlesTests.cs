using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// A task away from its job master restores from handles: the handles it is sent are those of the snapshots that hold
/// its state, and its own plan from them equals the job master's plan for it, also across a change of parallelism.
/// </summary>
public sealed class TaskRestoreHandlesTests
{
    // Sources a (2) and b (1) unioned into a map chained with a sink (3); the old run had the map at 2.
    private static ExecutionPlan Plan()
    {
        var job = new StreamJob("restore-handles");
        var a = job.FromSource(new CollectionSource<int>([1, 2], splits: 2), WatermarkStrategy<int>.NoWatermarks(), "a").SetParallelism(2);
        var b = job.FromSource(new CollectionSource<int>([3]), WatermarkStrategy<int>.NoWatermarks(), "b").SetParallelism(1);
        a.Union(b).Rebalance().Map(x => x, "map").SetParallelism(3).SinkTo(new CollectSink<int>(), "sink").SetParallelism(3);
        return ExecutionPlan.Create(job.Build());
    }

    private static JobVertex Vertex(ExecutionPlan plan, string name) => plan.Vertices.Single(v => v.Name.StartsWith(name, StringComparison.Ordinal));

    private static TaskStateSnapshot Snapshot(JobVertex v, int subtask, int parallelism, bool splits)
    {
        var s = new TaskStateSnapshot { CheckpointId = 9, VertexUid = v.Uid, Subtask = subtask, Parallelism = parallelism };
        if (splits)
        {
            s.Splits = [new SourceSplit($"{v.Uid}-{subtask}", 10 + subtask)];
            s.SplitWatermarks = new Dictionary<string, long> { [$"{v.Uid}-{subtask}"] = 100 + subtask };
        }
        foreach (var node in v.Nodes.Where(n => !v.IsSource || n != v.Nodes[0]))
            s.Operators[node.OperatorId] = new OperatorSnapshot
            {
                Keyed = new KeyedStateSnapshot { KeyGroups = [new KeyGroupSnapshot { KeyGroup = subtask * 10, States = { ["s"] = [(byte)subtask] } }] },
                Operator = new OperatorStateSnapshot { States = { ["list"] = [[(byte)subtask]], ["union/u"] = [[(byte)(50 + subtask)]] } },
            };
        return s;
    }

    private static string Describe(TaskRestore r) =>
        $"{r.CheckpointId}|" + string.Join(";", r.Operators.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o =>
            $"{o.Key}:kg={string.Join(",", o.Value.Keyed?.KeyGroups.Select(k => k.KeyGroup) ?? [])}:op=" +
            string.Join(",", (o.Value.Operator?.States ?? []).OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}={string.Join("/", x.Value.Select(b => b[0]))}")))) +
        $"|splits={string.Join(",", r.Splits?.Select(s => $"{s.SplitId}@{s.Position}") ?? [])}|wm={string.Join(",", r.SplitWatermarks?.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key}={w.Value}") ?? [])}";

    [Fact]
    public void A_task_planning_from_its_handles_restores_what_the_job_master_would_have_sent_it()
    {
        var plan = Plan();
        var (a, b, map) = (Vertex(plan, "a"), Vertex(plan, "b"), Vertex(plan, "map"));
        var snapshots = new List<TaskStateSnapshot>
        {
            Snapshot(a, 0, 2, splits: true), Snapshot(a, 1, 2, splits: true), Snapshot(b, 0, 1, splits: true),
            Snapshot(map, 0, 2, splits: false), Snapshot(map, 1, 2, splits: false),
        };
        var handles = snapshots.Select(s => new TaskStateRef { VertexUid = s.VertexUid, Subtask = s.Subtask, Parallelism = s.Parallelism, PersistenceId = $"{s.VertexUid}/{s.Subtask}" }).ToList();
        var source = new RestoreSource("/savepoints/sp-9", handles, snapshots);
        var byHandle = handles.Zip(snapshots).ToDictionary(x => x.Item1, x => x.Item2);

        var master = RestorePlanner.Plan(plan, snapshots, 9);
        foreach (var v in plan.Vertices)
        {
            var sent = source.For(v, 9);
            Assert.Equal(("/savepoints/sp-9", 9L), (sent.SavepointDirectory, sent.CheckpointId));
            // Only the snapshots of its own vertex: nothing else holds its operators' state here.
            Assert.All(sent.Handles, h => Assert.Equal(v.Uid, h.VertexUid));
            Assert.Equal(snapshots.Count(s => s.VertexUid == v.Uid), sent.Handles.Count);
            for (var i = 0; i < v.Parallelism; i++)
                Assert.Equal(Describe(master[new TaskId(v.Id, i)]), Describe(RestorePlanner.PlanTask(v, i, sent.Handles.Select(h => byHandle[h]).ToList(), 9)));
        }
        // The map went from 2 to 3 subtasks: its key groups are merged, union state reaches every subtask.
        Assert.Contains("kg=0,10", Describe(master[new TaskId(map.Id, 2)]), StringComparison.Ordinal);
        Assert.Contains("union/u=50/51", Describe(master[new TaskId(map.Id, 2)]), StringComparison.Ordinal);
    }

    [Fact]
    public void Handles_to_the_checkpoint_store_name_no_directory()
    {
        var sent = new RestoreSource(null, [], []).For(Vertex(Plan(), "map"), 4);
        Assert.Null(sent.SavepointDirectory);
        Assert.Empty(sent.Handles);
        var store = new SavepointLocation("/unused");
        Assert.Same(store, sent.Storage(() => store));
        Assert.IsType<SavepointLocation>((sent with { SavepointDirectory = "/sp" }).Storage(() => store));
    }
}
