namespace RecoFlow.Api.State;

/// <summary>
/// Time-to-live for keyed state (Flink: StateTtlConfig). An entry older than <see cref="TimeToLive"/> since its last
/// write (or read, with <see cref="UpdateOnRead"/>) is never returned, and is removed on access and at snapshots.
/// Age is measured in processing time.
/// </summary>
public sealed record StateTtl(TimeSpan TimeToLive, bool UpdateOnRead = false)
{
    public long TtlMillis { get; } = TimeToLive > TimeSpan.Zero
        ? (long)TimeToLive.TotalMilliseconds
        : throw new ArgumentOutOfRangeException(nameof(TimeToLive), "TTL must be positive");
}

/// <summary>Names a piece of state and its types. The name is the state's identity in snapshots: keep it stable.</summary>
public abstract class StateDescriptor
{
    protected StateDescriptor(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("state needs a name", nameof(name));
        Name = name;
    }

    public string Name { get; }
    public StateTtl? Ttl { get; private set; }

    /// <summary>Enables TTL for this state.</summary>
    public StateDescriptor EnableTimeToLive(StateTtl ttl)
    {
        Ttl = ttl ?? throw new ArgumentNullException(nameof(ttl));
        return this;
    }
}

public sealed class ValueStateDescriptor<T>(string name) : StateDescriptor(name)
{
    public new ValueStateDescriptor<T> EnableTimeToLive(StateTtl ttl) { base.EnableTimeToLive(ttl); return this; }
}

public sealed class ListStateDescriptor<T>(string name) : StateDescriptor(name)
{
    public new ListStateDescriptor<T> EnableTimeToLive(StateTtl ttl) { base.EnableTimeToLive(ttl); return this; }
}

public sealed class MapStateDescriptor<TKey, TValue>(string name) : StateDescriptor(name) where TKey : notnull
{
    public new MapStateDescriptor<TKey, TValue> EnableTimeToLive(StateTtl ttl) { base.EnableTimeToLive(ttl); return this; }
}

public sealed class ReducingStateDescriptor<T>(string name, Func<T, T, T> reduce) : StateDescriptor(name)
{
    public Func<T, T, T> Reduce { get; } = reduce ?? throw new ArgumentNullException(nameof(reduce));
    public new ReducingStateDescriptor<T> EnableTimeToLive(StateTtl ttl) { base.EnableTimeToLive(ttl); return this; }
}

public sealed class AggregatingStateDescriptor<TIn, TAcc, TOut>(string name, Functions.IAggregateFunction<TIn, TAcc, TOut> function) : StateDescriptor(name)
{
    public Functions.IAggregateFunction<TIn, TAcc, TOut> Function { get; } = function ?? throw new ArgumentNullException(nameof(function));
    public new AggregatingStateDescriptor<TIn, TAcc, TOut> EnableTimeToLive(StateTtl ttl) { base.EnableTimeToLive(ttl); return this; }
}
