using RecoFlow.Api.Connectors;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;

namespace RecoFlow.Api.Graph;

/// <summary>How records travel over an edge between two operators.</summary>
public enum PartitioningKind
{
    /// <summary>Subtask i sends to subtask i; chained when parallelism matches.</summary>
    Forward,
    /// <summary>Round-robin over the downstream subtasks.</summary>
    Rebalance,
    /// <summary>By key: key → key group → the subtask owning that key group.</summary>
    Hash,
    /// <summary>Every record to every downstream subtask.</summary>
    Broadcast,
}

/// <summary>Extracts a key for hash partitioning and keyed state. Returning null for a record sends it to the dead letters.</summary>
public abstract class KeySelector
{
    public abstract Type KeyType { get; }
    public abstract Type RecordType { get; }
}

public sealed class KeySelector<T, TKey>(Func<T, TKey> selector) : KeySelector where TKey : notnull
{
    public Func<T, TKey> Select { get; } = selector ?? throw new ArgumentNullException(nameof(selector));
    public override Type KeyType => typeof(TKey);
    public override Type RecordType => typeof(T);
}

/// <summary>An input of a transformation: the upstream node, which of its outputs, and how records are partitioned.</summary>
/// <param name="InputIndex">0 for the first input of an operator, 1 for the second (broadcast side).</param>
public sealed record StreamEdge(Transformation Source, PartitioningKind Partitioning, KeySelector? Key, IOutputTag? SideOutput, int InputIndex = 0)
{
    public string Describe() => Partitioning switch
    {
        PartitioningKind.Hash => $"hash({Key!.KeyType.Name})",
        _ => Partitioning.ToString().ToLowerInvariant(),
    } + (SideOutput is null ? "" : $" side-output '{SideOutput.Id}'");
}

/// <summary>
/// A node of the declarative job graph (Flink: Transformation). Building a job only creates these; the runtime turns
/// them into a plan of chained, parallel tasks.
/// </summary>
public abstract class Transformation
{
    private readonly List<StreamEdge> _inputs = [];

    protected Transformation(StreamJob job, string kind, string name, Type outputType)
    {
        Job = job;
        Kind = kind;
        Name = name;
        OutputType = outputType;
        Id = job.Register(this);
    }

    public StreamJob Job { get; }

    /// <summary>Position in the job, from 1, in the order the job author built it.</summary>
    public int Id { get; }

    /// <summary>The operator kind: Source, Map, Filter, Window, Sink, …</summary>
    public string Kind { get; }
    public string Name { get; internal set; }

    /// <summary>Stable id for state: a user-set uid, else derived from kind and position.</summary>
    public string? Uid { get; internal set; }
    public string OperatorId => Uid ?? $"{Kind.ToLowerInvariant()}-{Id}";
    public Type OutputType { get; }

    /// <summary>Null: the job's default parallelism.</summary>
    public int? Parallelism { get; internal set; }

    /// <summary>Only this many subtasks can ever exist (window-all, non-parallel sources).</summary>
    public int? MaxAllowedParallelism { get; private set; }

    public bool ChainingDisabled { get; internal set; }

    /// <summary>For operators with keyed state: the key selector of the keyed input.</summary>
    public KeySelector? KeyedBy { get; protected init; }

    /// <summary>Extra facts for <c>Explain()</c> (window assigner, trigger, lateness…).</summary>
    public string? Details { get; protected init; }

    public IReadOnlyList<StreamEdge> Inputs => _inputs;
    internal List<Transformation> Consumers { get; } = [];
    internal HashSet<string> RequestedSideOutputs { get; } = [];

    /// <summary>Caps the parallelism (and defaults it to the cap): for operators that must see every record in one task.</summary>
    internal void LimitParallelism(int max)
    {
        MaxAllowedParallelism = max;
        Parallelism ??= max;
    }

    internal void AddInput(StreamEdge edge)
    {
        _inputs.Add(edge);
        edge.Source.Consumers.Add(this);
    }

    public int EffectiveParallelism => Parallelism ?? Job.DefaultParallelism;

    public override string ToString() => $"{Kind} '{Name}' (#{Id}{(Uid is null ? "" : ", uid " + Uid)})";
}

/// <summary>Untyped base of source nodes.</summary>
public abstract class SourceTransformationBase : Transformation
{
    private protected SourceTransformationBase(StreamJob job, string name, Type outputType) : base(job, "Source", name, outputType) { }
}

/// <summary>Reads from an <see cref="ISource{T}"/> and assigns event time.</summary>
public sealed class SourceTransformation<T> : SourceTransformationBase
{
    internal SourceTransformation(StreamJob job, ISource<T> source, WatermarkStrategy<T> watermarks, string name)
        : base(job, name, typeof(T))
    {
        Source = source;
        Watermarks = watermarks;
        Details = $"{source.Describe()}; watermarks: {watermarks.Description}";
    }

    public ISource<T> Source { get; }
    public WatermarkStrategy<T> Watermarks { get; }
}

/// <summary>An operator with one input.</summary>
public sealed class OneInputTransformation<TIn, TOut> : Transformation
{
    internal OneInputTransformation(StreamJob job, string kind, string name, Func<OneInputOperator<TIn, TOut>> factory, KeySelector? keyedBy, string? details, int? maxParallelism = null)
        : base(job, kind, name, typeof(TOut))
    {
        ArgumentNullException.ThrowIfNull(factory);
        OperatorFactory = () => SubtaskCopy.Of(factory());
        KeyedBy = keyedBy;
        Details = details;
        if (maxParallelism is { } m) LimitParallelism(m);
    }

    /// <summary>
    /// Creates the operator of one parallel subtask: a deep copy (<see cref="SubtaskCopy"/>) of what the job's factory
    /// returns, so no two subtasks share a mutable object through the function, lambdas or settings it was given.
    /// </summary>
    public Func<OneInputOperator<TIn, TOut>> OperatorFactory { get; }
}

/// <summary>An operator with two inputs (broadcast connections).</summary>
public sealed class TwoInputTransformation<TIn1, TIn2, TOut> : Transformation
{
    internal TwoInputTransformation(StreamJob job, string kind, string name, Func<TwoInputOperator<TIn1, TIn2, TOut>> factory, KeySelector? keyedBy, string? details)
        : base(job, kind, name, typeof(TOut))
    {
        ArgumentNullException.ThrowIfNull(factory);
        OperatorFactory = () => SubtaskCopy.Of(factory());
        KeyedBy = keyedBy;
        Details = details;
    }

    /// <summary>Creates the operator of one parallel subtask: a deep copy (<see cref="SubtaskCopy"/>) of what the job's factory returns.</summary>
    public Func<TwoInputOperator<TIn1, TIn2, TOut>> OperatorFactory { get; }
}


/// <summary>Writes into an <see cref="ISink{T}"/>; a sink has no output.</summary>
public sealed class SinkTransformation<T> : SinkTransformationBase
{
    internal SinkTransformation(StreamJob job, ISink<T> sink, string name) : base(job, name)
    {
        Sink = sink;
        Details = sink.Describe();
    }

    public ISink<T> Sink { get; }
}

/// <summary>Untyped base of sink nodes.</summary>
public abstract class SinkTransformationBase : Transformation
{
    private protected SinkTransformationBase(StreamJob job, string name) : base(job, "Sink", name, typeof(void)) { }
}
