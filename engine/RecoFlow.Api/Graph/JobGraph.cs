using System.Text;

namespace RecoFlow.Api.Graph;

/// <summary>A validated, declarative job: its transformations in build order and its settings. Running it is the runtime's business.</summary>
public sealed class JobGraph
{
    internal JobGraph(string name, IReadOnlyList<Transformation> transformations, int defaultParallelism, int maxParallelism, IReadOnlyDictionary<string, string> parameters,
        bool chainKeyedAtParallelismOne = false, State.StateBackendKind stateBackend = State.StateBackendKind.Heap)
    {
        StateBackend = stateBackend;
        ChainKeyedAtParallelismOne = chainKeyedAtParallelismOne;
        Name = name;
        Transformations = transformations;
        DefaultParallelism = defaultParallelism;
        MaxParallelism = maxParallelism;
        Parameters = parameters;
    }

    public string Name { get; }
    public IReadOnlyList<Transformation> Transformations { get; }
    public int DefaultParallelism { get; }
    public int MaxParallelism { get; }
    public IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>Chain key-by edges whose both ends run one task (see <c>StreamJob.WithKeyedChainingAtParallelismOne</c>).</summary>
    public bool ChainKeyedAtParallelismOne { get; }

    /// <summary>Where the job's keyed state lives while it runs (see <c>StreamJob.WithStateBackend</c>).</summary>
    public State.StateBackendKind StateBackend { get; }

    /// <summary>The logical plan, one line per operator with its inputs.</summary>
    public string Explain()
    {
        var sb = new StringBuilder();
        sb.Append("Job '").Append(Name).Append("' (default parallelism ").Append(DefaultParallelism)
          .Append(", max parallelism ").Append(MaxParallelism).AppendLine(")");
        foreach (var t in Transformations)
        {
            sb.Append("  #").Append(t.Id).Append(' ').Append(t.Kind).Append(" '").Append(t.Name).Append('\'')
              .Append(" [p=").Append(t.EffectiveParallelism).Append(']');
            if (t.Uid is not null) sb.Append(" uid=").Append(t.Uid);
            if (t.KeyedBy is not null) sb.Append(" keyed by ").Append(t.KeyedBy.KeyType.Name);
            if (t.Inputs.Count > 0)
                sb.Append(" <- ").Append(string.Join(", ", t.Inputs.Select(e => $"#{e.Source.Id} ({e.Describe()})")));
            sb.AppendLine();
            if (t.Details is not null) sb.Append("      ").AppendLine(t.Details);
        }
        return sb.ToString();
    }
}
