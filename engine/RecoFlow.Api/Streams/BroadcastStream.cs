using RecoFlow.Api.Functions;
using RecoFlow.Api.Graph;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;

namespace RecoFlow.Api.Streams;

/// <summary>A stream sent to every subtask of the operator it connects to, where it updates broadcast state (Flink: BroadcastStream).</summary>
public sealed class BroadcastStream<T>
{
    internal BroadcastStream(DataStream<T> input, IReadOnlyList<StateDescriptor> descriptors)
    {
        Input = input;
        Descriptors = descriptors;
    }

    public DataStream<T> Input { get; }
    public IReadOnlyList<StateDescriptor> Descriptors { get; }
}

/// <summary>A keyed stream joined with a broadcast stream.</summary>
public sealed class KeyedBroadcastConnectedStream<TKey, T, TBroadcast> where TKey : notnull
{
    private readonly KeyedStream<TKey, T> _keyed;
    private readonly BroadcastStream<TBroadcast> _broadcast;

    internal KeyedBroadcastConnectedStream(KeyedStream<TKey, T> keyed, BroadcastStream<TBroadcast> broadcast)
    {
        if (keyed.Job != broadcast.Input.Job) throw new ArgumentException("cannot connect streams of different jobs", nameof(broadcast));
        _keyed = keyed;
        _broadcast = broadcast;
    }

    public DataStream<TOut> Process<TOut>(KeyedBroadcastProcessFunction<TKey, T, TBroadcast, TOut> function, string name = "KeyedBroadcastProcess")
    {
        ArgumentNullException.ThrowIfNull(function);
        var select = _keyed.Key.Select;
        var t = new TwoInputTransformation<T, TBroadcast, TOut>(_keyed.Job, "KeyedBroadcastProcess", name,
            () => new KeyedBroadcastProcessOperator<TKey, T, TBroadcast, TOut>(select, function), _keyed.Key,
            $"broadcast state: {string.Join(", ", _broadcast.Descriptors.Select(d => d.Name))}");
        _keyed.ConnectTo(t, PartitioningKind.Hash, _keyed.Key);
        _broadcast.Input.ConnectTo(t, PartitioningKind.Broadcast, null, inputIndex: 1);
        return new DataStream<TOut>(_keyed.Job, [new Producer(t, null)]);
    }
}

/// <summary>A non-keyed stream joined with a broadcast stream.</summary>
public sealed class BroadcastConnectedStream<T, TBroadcast>
{
    private readonly DataStream<T> _input;
    private readonly BroadcastStream<TBroadcast> _broadcast;

    internal BroadcastConnectedStream(DataStream<T> input, BroadcastStream<TBroadcast> broadcast)
    {
        if (input.Job != broadcast.Input.Job) throw new ArgumentException("cannot connect streams of different jobs", nameof(broadcast));
        _input = input;
        _broadcast = broadcast;
    }

    public DataStream<TOut> Process<TOut>(BroadcastProcessFunction<T, TBroadcast, TOut> function, string name = "BroadcastProcess")
    {
        ArgumentNullException.ThrowIfNull(function);
        var t = new TwoInputTransformation<T, TBroadcast, TOut>(_input.Job, "BroadcastProcess", name,
            () => new BroadcastProcessOperator<T, TBroadcast, TOut>(function), null,
            $"broadcast state: {string.Join(", ", _broadcast.Descriptors.Select(d => d.Name))}");
        _input.ConnectTo(t, PartitioningKind.Forward, null);
        _broadcast.Input.ConnectTo(t, PartitioningKind.Broadcast, null, inputIndex: 1);
        return new DataStream<TOut>(_input.Job, [new Producer(t, null)]);
    }
}
