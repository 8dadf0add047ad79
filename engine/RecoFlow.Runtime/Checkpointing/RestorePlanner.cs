using RecoFlow.Api.Connectors;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Maps the task snapshots of a checkpoint onto the tasks of a plan, by operator id, so a job can resume with other
/// chaining or parallelism: keyed state moves by key group; list state is redistributed round-robin; union state
/// (names starting with <c>union/</c>) goes to every subtask; broadcast state is copied from subtask 0; source splits
/// are spread over the new source subtasks.
/// </summary>
internal static class RestorePlanner
{
    public static Dictionary<TaskId, TaskRestore> Plan(ExecutionPlan plan, IReadOnlyList<TaskStateSnapshot> snapshots, long checkpointId)
    {
        var byOperator = ByOperator(snapshots);
        var known = plan.Vertices.SelectMany(v => v.Nodes).Select(n => n.OperatorId).ToHashSet(StringComparer.Ordinal);
        var unknown = byOperator.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException($"checkpoint {checkpointId} holds state of operator(s) {string.Join(", ", unknown)} that this job does not have (was a uid changed or an operator removed?)");

        var result = new Dictionary<TaskId, TaskRestore>();
        foreach (var v in plan.Vertices)
            for (var i = 0; i < v.Parallelism; i++)
                result[new TaskId(v.Id, i)] = PlanTask(v, i, byOperator, snapshots, checkpointId);
        return result;
    }

    /// <summary>
    /// What subtask <paramref name="subtask"/> of <paramref name="v"/> restores, from the snapshots that hold state of
    /// its operators or splits of its vertex (others are ignored): how a task away from its job master takes its part
    /// after reading its <see cref="TaskRestoreHandles"/>. Gives what <see cref="Plan"/> gives that task.
    /// </summary>
    public static TaskRestore PlanTask(JobVertex v, int subtask, IReadOnlyList<TaskStateSnapshot> snapshots, long checkpointId) =>
        PlanTask(v, subtask, ByOperator(snapshots), snapshots, checkpointId);

    /// <summary>Whether <paramref name="snapshot"/> holds state that a task of <paramref name="v"/> (whose operator ids are <paramref name="operators"/>) restores.</summary>
    public static bool Contributes(JobVertex v, IReadOnlySet<string> operators, TaskStateSnapshot snapshot) =>
        (snapshot.VertexUid == v.Uid && snapshot.Splits is not null) || snapshot.Operators.Keys.Any(operators.Contains);

    private static Dictionary<string, List<(int Subtask, int Parallelism, OperatorSnapshot State)>> ByOperator(IReadOnlyList<TaskStateSnapshot> snapshots)
    {
        var byOperator = new Dictionary<string, List<(int Subtask, int Parallelism, OperatorSnapshot State)>>(StringComparer.Ordinal);
        foreach (var t in snapshots)
            foreach (var (opId, state) in t.Operators)
            {
                if (!byOperator.TryGetValue(opId, out var list)) byOperator[opId] = list = [];
                list.Add((t.Subtask, t.Parallelism, state));
            }
        return byOperator;
    }

    private static TaskRestore PlanTask(JobVertex v, int i, Dictionary<string, List<(int Subtask, int Parallelism, OperatorSnapshot State)>> byOperator,
        IReadOnlyList<TaskStateSnapshot> snapshots, long checkpointId)
    {
        var oldSplits = snapshots.Where(s => s.VertexUid == v.Uid && s.Splits is not null).ToList();
        var ops = new Dictionary<string, OperatorSnapshot>(StringComparer.Ordinal);
        foreach (var node in v.Nodes)
            if (byOperator.TryGetValue(node.OperatorId, out var parts))
                ops[node.OperatorId] = Merge(parts, i, v.Parallelism);
        IReadOnlyList<SourceSplit>? splits = null;
        if (v.IsSource && oldSplits.Count > 0)
        {
            splits = oldSplits.All(s => s.Parallelism == v.Parallelism)
                ? oldSplits.Where(s => s.Subtask == i).SelectMany(s => s.Splits!).ToList()
                : oldSplits.SelectMany(s => s.Splits!).OrderBy(s => s.SplitId, StringComparer.Ordinal).Where((_, k) => k % v.Parallelism == i).ToList();
        }
        Dictionary<string, long>? watermarks = null;
        if (splits is not null)
        {
            var ids = splits.Select(s => s.SplitId).ToHashSet(StringComparer.Ordinal);
            watermarks = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var old in oldSplits)
                if (old.SplitWatermarks is not null)
                    foreach (var (id, w) in old.SplitWatermarks)
                        if (ids.Contains(id)) watermarks[id] = w;
        }
        return new TaskRestore(checkpointId, ops, splits, watermarks);
    }

    private static OperatorSnapshot Merge(List<(int Subtask, int Parallelism, OperatorSnapshot State)> parts, int subtask, int parallelism)
    {
        if (parts.All(p => p.Parallelism == parallelism))
            return parts.FirstOrDefault(p => p.Subtask == subtask).State ?? new OperatorSnapshot();
        var keyed = new KeyedStateSnapshot();
        var op = new OperatorStateSnapshot();
        foreach (var (old, _, state) in parts.OrderBy(p => p.Subtask))
        {
            if (state.Keyed is not null) keyed.KeyGroups.AddRange(state.Keyed.KeyGroups);
            if (state.Operator is null) continue;
            foreach (var (name, values) in state.Operator.States)
            {
                var take = name.StartsWith("broadcast/", StringComparison.Ordinal) ? old == 0
                    : name.StartsWith("union/", StringComparison.Ordinal) || old % parallelism == subtask;
                if (!take) continue;
                if (!op.States.TryGetValue(name, out var list)) op.States[name] = list = [];
                list.AddRange(values);
            }
        }
        return new OperatorSnapshot { Keyed = keyed, Operator = op };
    }
}
