using RecoFlow.Api.State;

namespace RecoFlow.Api.Operators;

/// <summary>
/// Base of single-input operators with keyed state: extracts the key of each record, makes it the backend's current
/// key and hands the record on. A record whose key is null goes to the dead letters (naming this operator) instead of
/// failing the job. Fires event-time timers on every watermark.
/// </summary>
public abstract class KeyedOneInputOperator<TKey, TIn, TOut>(Func<TIn, TKey> keySelector) : OneInputOperator<TIn, TOut> where TKey : notnull
{
    private IKeyedStateBackend<TKey>? _backend;

    /// <summary>Keyed state and timers of this subtask.</summary>
    protected IKeyedStateBackend<TKey> Backend => _backend ??= Context.GetKeyedStateBackend<TKey>();

    public sealed override void ProcessElement(TIn value, long timestamp)
    {
        var key = keySelector(value);
        if (key is null)
        {
            Context.DeadLetters.Report($"key selector of {Context.OperatorName} returned null", value, timestamp);
            return;
        }
        Backend.CurrentKey = key;
        ProcessKeyed(key, value, timestamp);
    }

    /// <summary>Processes a record whose key is already the backend's current key.</summary>
    protected abstract void ProcessKeyed(TKey key, TIn value, long timestamp);

    protected override void OnWatermark(long watermark) => Backend.AdvanceWatermark(watermark);
}

/// <summary>Rolling reduce: keeps one value per key, emits it after every record. (Flink: StreamGroupedReduceOperator)</summary>
public sealed class KeyedReduceOperator<TKey, T>(Func<T, TKey> keySelector, Func<T, T, T> reduce) : KeyedOneInputOperator<TKey, T, T>(keySelector) where TKey : notnull
{
    private IValueState<T>? _state;

    public override void Open() => _state = Backend.GetValueState(new ValueStateDescriptor<T>("reduce"));

    protected override void ProcessKeyed(TKey key, T value, long timestamp)
    {
        var next = _state!.HasValue ? reduce(_state.Value!, value) : value;
        _state.Update(next);
        Output.Collect(next, timestamp);
    }
}

/// <summary>Rolling aggregate: keeps one accumulator per key, emits the current result after every record.</summary>
public sealed class KeyedAggregateOperator<TKey, TIn, TAcc, TOut>(Func<TIn, TKey> keySelector, Functions.IAggregateFunction<TIn, TAcc, TOut> function)
    : KeyedOneInputOperator<TKey, TIn, TOut>(keySelector) where TKey : notnull
{
    private IValueState<TAcc>? _state;

    public override void Open() => _state = Backend.GetValueState(new ValueStateDescriptor<TAcc>("aggregate"));

    protected override void ProcessKeyed(TKey key, TIn value, long timestamp)
    {
        var acc = _state!.HasValue ? _state.Value! : function.CreateAccumulator();
        acc = function.Add(value, acc);
        _state.Update(acc);
        Output.Collect(function.GetResult(acc), timestamp);
    }
}
