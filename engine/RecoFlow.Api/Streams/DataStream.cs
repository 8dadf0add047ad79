using RecoFlow.Api.Connectors;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Graph;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Api.Windows;

namespace RecoFlow.Api.Streams;

/// <summary>
/// A stream of records of type <typeparamref name="T"/> in a job being built (Flink: DataStream). Every method adds
/// a node to the job graph and returns the new stream; nothing runs.
/// </summary>
public class DataStream<T>
{
    internal DataStream(StreamJob job, IReadOnlyList<Producer> producers)
    {
        Job = job;
        Producers = producers;
    }

    public StreamJob Job { get; }

    /// <summary>The node(s) whose output this stream is (several after a union).</summary>
    public IReadOnlyList<Producer> Producers { get; }

    /// <summary>The single node this stream comes from; settings such as <see cref="Name"/> apply to it.</summary>
    protected Transformation Node => Producers.Count == 1 && Producers[0].SideOutput is null
        ? Producers[0].Node
        : throw new InvalidOperationException("this stream is a union or a side output; set names and parallelism on the operators that produce it");

    internal void ConnectTo(Transformation consumer, PartitioningKind partitioning, KeySelector? key, int inputIndex = 0)
    {
        foreach (var p in Producers)
        {
            consumer.AddInput(new StreamEdge(p.Node, partitioning, key, p.SideOutput, inputIndex));
            if (p.SideOutput is not null) p.Node.RequestedSideOutputs.Add(p.SideOutput.Id);
        }
    }

    /// <summary>The partitioning of the edge to the next operator.</summary>
    private protected virtual PartitioningKind NextPartitioning => PartitioningKind.Forward;

    private protected virtual KeySelector? NextKey => null;

    /// <summary>Adds a one-input operator. This is how every DSL method below is built; use it for custom operators.</summary>
    public DataStream<TOut> Transform<TOut>(string kind, string name, Func<OneInputOperator<T, TOut>> operatorFactory, string? details = null)
    {
        ArgumentNullException.ThrowIfNull(operatorFactory);
        var t = new OneInputTransformation<T, TOut>(Job, kind, name, operatorFactory, NextKey, details);
        ConnectTo(t, NextPartitioning, NextKey);
        return new DataStream<TOut>(Job, [new Producer(t, null)]);
    }

    /// <summary>One output per record. Emits when a record arrives; keeps no state.</summary>
    public DataStream<TOut> Map<TOut>(Func<T, TOut> map, string name = "Map")
    {
        ArgumentNullException.ThrowIfNull(map);
        return Transform("Map", name, () => new StreamMap<T, TOut>(map));
    }

    /// <summary>Keeps the records for which <paramref name="predicate"/> is true.</summary>
    public DataStream<T> Filter(Func<T, bool> predicate, string name = "Filter")
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Transform("Filter", name, () => new StreamFilter<T>(predicate));
    }

    /// <summary>Zero or more outputs per record.</summary>
    public DataStream<TOut> FlatMap<TOut>(Action<T, ICollector<TOut>> flatMap, string name = "FlatMap")
    {
        ArgumentNullException.ThrowIfNull(flatMap);
        return Transform("FlatMap", name, () => new StreamFlatMap<T, TOut>(flatMap));
    }

    /// <summary>A per-record function with side outputs and access to time.</summary>
    public DataStream<TOut> Process<TOut>(ProcessFunction<T, TOut> function, string name = "Process")
    {
        ArgumentNullException.ThrowIfNull(function);
        return Transform("Process", name, () => new ProcessOperator<T, TOut>(function));
    }

    /// <summary>Merges streams of the same type; the result carries every record of every input.</summary>
    public DataStream<T> Union(params DataStream<T>[] others)
    {
        var producers = new List<Producer>(Producers);
        foreach (var o in others)
        {
            if (o.Job != Job) throw new ArgumentException("cannot union streams of different jobs", nameof(others));
            producers.AddRange(o.Producers);
        }
        return new DataStream<T>(Job, producers);
    }

    /// <summary>Partitions by key: records with equal keys go to the same subtask, which holds their keyed state.</summary>
    public KeyedStream<TKey, T> KeyBy<TKey>(Func<T, TKey> keySelector) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(keySelector);
        return new KeyedStream<TKey, T>(Job, Producers, new KeySelector<T, TKey>(keySelector));
    }

    /// <summary>Spreads records round-robin over the next operator's subtasks.</summary>
    public DataStream<T> Rebalance() => new PartitionedStream<T>(Job, Producers, PartitioningKind.Rebalance);

    /// <summary>Sends every record to every subtask of the next operator.</summary>
    public DataStream<T> Broadcast() => new PartitionedStream<T>(Job, Producers, PartitioningKind.Broadcast);

    /// <summary>A broadcast stream whose records update broadcast state, for <c>Connect</c>.</summary>
    public BroadcastStream<T> Broadcast(params StateDescriptor[] broadcastState) => new(this, broadcastState);

    /// <summary>Joins this stream with a broadcast stream.</summary>
    public BroadcastConnectedStream<T, TBroadcast> Connect<TBroadcast>(BroadcastStream<TBroadcast> broadcast) => new(this, broadcast);

    /// <summary>Windows over the whole (non-keyed) stream; runs in a single task, so its parallelism must be 1.</summary>
    public AllWindowedStream<T, TWindow> WindowAll<TWindow>(WindowAssigner<T, TWindow> assigner) where TWindow : IWindow =>
        new(this, assigner);

    /// <summary>The records an operator emitted to <paramref name="tag"/>.</summary>
    public DataStream<TSide> GetSideOutput<TSide>(OutputTag<TSide> tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        return new DataStream<TSide>(Job, [new Producer(Node, tag)]);
    }

    /// <summary>Ends the stream in a sink.</summary>
    public SinkHandle SinkTo(ISink<T> sink, string name = "Sink")
    {
        ArgumentNullException.ThrowIfNull(sink);
        var t = new SinkTransformation<T>(Job, sink, name);
        ConnectTo(t, NextPartitioning, NextKey);
        return new SinkHandle(t);
    }

    /// <summary>Names the operator that produces this stream (shown in Explain, logs and the dashboard).</summary>
    public DataStream<T> Name(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("name must not be empty", nameof(name));
        Node.Name = name;
        return this;
    }

    /// <summary>Gives the operator a stable id: its state in checkpoints and savepoints is found by it. Must be unique.</summary>
    public DataStream<T> Uid(string uid)
    {
        if (string.IsNullOrWhiteSpace(uid)) throw new ArgumentException("uid must not be empty", nameof(uid));
        Node.Uid = uid;
        return this;
    }

    public DataStream<T> SetParallelism(int parallelism)
    {
        if (parallelism < 1) throw new ArgumentOutOfRangeException(nameof(parallelism), $"parallelism of {Node} must be at least 1");
        Node.Parallelism = parallelism;
        return this;
    }

    /// <summary>Keeps the operator out of operator chains (its own task, a channel on each side).</summary>
    public DataStream<T> DisableChaining()
    {
        Node.ChainingDisabled = true;
        return this;
    }
}

/// <summary>A stream whose next edge uses a fixed partitioning (rebalance, broadcast).</summary>
public sealed class PartitionedStream<T> : DataStream<T>
{
    private readonly PartitioningKind _kind;
    internal PartitionedStream(StreamJob job, IReadOnlyList<Producer> producers, PartitioningKind kind) : base(job, producers) => _kind = kind;
    private protected override PartitioningKind NextPartitioning => _kind;
}

/// <summary>The end of a stream in a sink.</summary>
public sealed class SinkHandle
{
    private readonly SinkTransformationBase _node;
    internal SinkHandle(SinkTransformationBase node) => _node = node;

    public SinkHandle Name(string name) { _node.Name = name; return this; }
    public SinkHandle Uid(string uid) { _node.Uid = uid; return this; }
    public SinkHandle SetParallelism(int parallelism)
    {
        if (parallelism < 1) throw new ArgumentOutOfRangeException(nameof(parallelism), $"parallelism of {_node} must be at least 1");
        _node.Parallelism = parallelism;
        return this;
    }
}
