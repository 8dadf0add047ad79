using RecoFlow.Api.Functions;
using RecoFlow.Api.Graph;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Windows;

namespace RecoFlow.Api.Streams;

/// <summary>
/// A stream partitioned by key (Flink: KeyedStream): key → key group (murmur3 hash mod max parallelism) → subtask.
/// Operators on it have keyed state and timers scoped to the key of the record being processed.
/// </summary>
public sealed class KeyedStream<TKey, T> : DataStream<T> where TKey : notnull
{
    internal KeyedStream(StreamJob job, IReadOnlyList<Producer> producers, KeySelector<T, TKey> key) : base(job, producers) => Key = key;

    public KeySelector<T, TKey> Key { get; }
    private protected override PartitioningKind NextPartitioning => PartitioningKind.Hash;
    private protected override KeySelector? NextKey => Key;

    /// <summary>Per-record function with keyed state and event/processing-time timers.</summary>
    public DataStream<TOut> Process<TOut>(KeyedProcessFunction<TKey, T, TOut> function, string name = "KeyedProcess")
    {
        ArgumentNullException.ThrowIfNull(function);
        var select = Key.Select;
        return Transform("KeyedProcess", name, () => new KeyedProcessOperator<TKey, T, TOut>(select, function));
    }

    /// <summary>Rolling reduce per key: emits the running result after every record.</summary>
    public DataStream<T> Reduce(Func<T, T, T> reduce, string name = "Reduce")
    {
        ArgumentNullException.ThrowIfNull(reduce);
        var select = Key.Select;
        return Transform("Reduce", name, () => new KeyedReduceOperator<TKey, T>(select, reduce));
    }

    /// <summary>Rolling aggregate per key: emits the current result after every record.</summary>
    public DataStream<TOut> Aggregate<TAcc, TOut>(IAggregateFunction<T, TAcc, TOut> function, string name = "Aggregate")
    {
        ArgumentNullException.ThrowIfNull(function);
        var select = Key.Select;
        return Transform("Aggregate", name, () => new KeyedAggregateOperator<TKey, T, TAcc, TOut>(select, function));
    }

    /// <summary>Windows per key.</summary>
    public WindowedStream<T, TKey, TWindow> Window<TWindow>(WindowAssigner<T, TWindow> assigner) where TWindow : IWindow =>
        new(this, assigner);

    /// <summary>Joins this keyed stream with a broadcast stream.</summary>
    public new KeyedBroadcastConnectedStream<TKey, T, TBroadcast> Connect<TBroadcast>(BroadcastStream<TBroadcast> broadcast) => new(this, broadcast);
}
