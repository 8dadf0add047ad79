using System.Text;
using RecoFlow.Api.Graph;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// A chain of operators that runs as one task per parallel instance (Flink: JobVertex). Operators joined by forward
/// edges with equal parallelism share a vertex: records pass between them by direct calls.
/// </summary>
public sealed class JobVertex
{
    internal JobVertex(int id, Transformation head)
    {
        Id = id;
        Nodes.Add(head);
    }

    public int Id { get; }
    public List<Transformation> Nodes { get; } = [];
    public Transformation Head => Nodes[0];

    /// <summary>Stable identity across runs of the same job (its head operator's id): names the vertex's state in checkpoints.</summary>
    public string Uid => Head.OperatorId;
    public int Parallelism => Head.EffectiveParallelism;
    public string Name => string.Join(" -> ", Nodes.Select(n => n.Name));

    /// <summary>Network inputs of the head, in order: each becomes one channel per upstream subtask.</summary>
    public List<VertexEdge> Inputs { get; } = [];

    /// <summary>Network outputs of any operator in the chain.</summary>
    public List<VertexEdge> Outputs { get; } = [];

    public bool IsSource => Head is SourceTransformationBase;

    /// <summary>Fed by a key-by: its tasks own key groups.</summary>
    public bool IsKeyed => Inputs.Exists(e => e.Partitioning == PartitioningKind.Hash);
}

/// <summary>A network edge: from an operator in one vertex to the head of another.</summary>
public sealed record VertexEdge(JobVertex From, Transformation FromNode, JobVertex To, StreamEdge Edge)
{
    /// <summary>Forward edges between different parallelisms cannot pair subtasks: they rebalance.</summary>
    public PartitioningKind Partitioning =>
        Edge.Partitioning == PartitioningKind.Forward && From.Parallelism != To.Parallelism ? PartitioningKind.Rebalance : Edge.Partitioning;

    /// <summary>Index of this edge among the writers of its upstream vertex.</summary>
    public int WriterIndex => From.Outputs.IndexOf(this);
}

/// <summary>The physical plan of a job: vertices (operator chains) and the network edges between them.</summary>
public sealed class ExecutionPlan
{
    private ExecutionPlan(JobGraph graph, IReadOnlyList<JobVertex> vertices)
    {
        Graph = graph;
        Vertices = vertices;
    }

    public JobGraph Graph { get; }
    public IReadOnlyList<JobVertex> Vertices { get; }

    public int TaskCount => Vertices.Sum(v => v.Parallelism);

    public static ExecutionPlan Create(JobGraph graph)
    {
        var vertices = new List<JobVertex>();
        var vertexOf = new Dictionary<Transformation, JobVertex>();
        foreach (var t in graph.Transformations)
        {
            if (CanChain(t, graph.ChainKeyedAtParallelismOne, out var upstream))
            {
                var v = vertexOf[upstream];
                v.Nodes.Add(t);
                vertexOf[t] = v;
            }
            else
            {
                var v = new JobVertex(vertices.Count + 1, t);
                vertices.Add(v);
                vertexOf[t] = v;
            }
        }
        foreach (var t in graph.Transformations)
        {
            var to = vertexOf[t];
            foreach (var e in t.Inputs)
            {
                var from = vertexOf[e.Source];
                if (from == to) continue;
                var ve = new VertexEdge(from, e.Source, to, e);
                from.Outputs.Add(ve);
                to.Inputs.Add(ve);
            }
        }
        return new ExecutionPlan(graph, vertices);
    }

    private static bool CanChain(Transformation t, bool chainKeyedAtParallelismOne, out Transformation upstream)
    {
        upstream = null!;
        if (t.Inputs.Count != 1 || t.ChainingDisabled) return false;
        var type = t.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(TwoInputTransformation<,,>)) return false;
        var e = t.Inputs[0];
        upstream = e.Source;
        var forward = e.Partitioning == PartitioningKind.Forward
            || (chainKeyedAtParallelismOne && e.Partitioning == PartitioningKind.Hash && e.SideOutput is null && t.EffectiveParallelism == 1);
        return forward
            && !upstream.ChainingDisabled
            && upstream is not SinkTransformationBase
            && upstream.EffectiveParallelism == t.EffectiveParallelism;
    }

    /// <summary>The physical plan: one line per task chain with its parallelism and network edges.</summary>
    public string Explain()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Execution plan: {Vertices.Count} task chain(s), {TaskCount} task(s), {Graph.MaxParallelism} key groups");
        foreach (var v in Vertices)
        {
            sb.Append("  Task ").Append(v.Id).Append(" [p=").Append(v.Parallelism).Append("]: ")
              .AppendLine(string.Join(" -> ", v.Nodes.Select(n => $"{n.Kind} '{n.Name}'")));
            foreach (var i in v.Inputs)
                sb.Append("      <- task ").Append(i.From.Id).Append(" (").Append(i.Partitioning.ToString().ToLowerInvariant())
                  .Append(i.Edge.SideOutput is null ? "" : $", side output '{i.Edge.SideOutput.Id}'").AppendLine(")");
        }
        return sb.ToString();
    }
}
