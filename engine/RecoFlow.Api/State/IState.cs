namespace RecoFlow.Api.State;

/// <summary>Keyed state scoped to the current key of the operator (the key of the record or timer being processed).</summary>
public interface IState
{
    /// <summary>Removes the value for the current key.</summary>
    void Clear();
}

public interface IValueState<T> : IState
{
    /// <summary>The value for the current key, or default when there is none (or it expired).</summary>
    T? Value { get; }
    bool HasValue { get; }
    void Update(T value);
}

public interface IListState<T> : IState
{
    IReadOnlyList<T> Get();
    void Add(T value);
    void AddAll(IEnumerable<T> values);
    void Update(IEnumerable<T> values);
}

public interface IMapState<TKey, TValue> : IState where TKey : notnull
{
    bool TryGetValue(TKey key, out TValue value);
    void Put(TKey key, TValue value);
    bool Remove(TKey key);
    bool Contains(TKey key);
    int Count { get; }
    IEnumerable<KeyValuePair<TKey, TValue>> Entries();
}

/// <summary>Folds added values with a reduce function; <see cref="Get"/> returns the running result.</summary>
public interface IReducingState<T> : IState
{
    T? Get();
    void Add(T value);
}

/// <summary>Folds added values into an accumulator; <see cref="Get"/> returns the function's result.</summary>
public interface IAggregatingState<TIn, TOut> : IState
{
    TOut? Get();
    void Add(TIn value);
}

/// <summary>Keyed state and timers of one keyed operator subtask. Only the task thread uses it.</summary>
public interface IKeyedStateBackend<TKey> where TKey : notnull
{
    /// <summary>The key that state access and timer registration refer to.</summary>
    TKey CurrentKey { get; set; }

    /// <summary>The key group of <see cref="CurrentKey"/>.</summary>
    int CurrentKeyGroup { get; }

    /// <summary>True when <paramref name="key"/> belongs to this subtask (its key group is in this backend's range):
    /// what an operator that keeps per-key data outside keyed state uses to re-divide it after a rescale.</summary>
    bool OwnsKey(TKey key);

    IValueState<T> GetValueState<T>(ValueStateDescriptor<T> descriptor);
    IListState<T> GetListState<T>(ListStateDescriptor<T> descriptor);
    IMapState<TK, TV> GetMapState<TK, TV>(MapStateDescriptor<TK, TV> descriptor) where TK : notnull;
    IReducingState<T> GetReducingState<T>(ReducingStateDescriptor<T> descriptor);
    IAggregatingState<TIn, TOut> GetAggregatingState<TIn, TAcc, TOut>(AggregatingStateDescriptor<TIn, TAcc, TOut> descriptor);

    /// <summary>State scoped by key and a namespace (a window, say): the window operator's storage.</summary>
    INamespacedState<TKey, TNamespace, TValue> GetNamespacedState<TNamespace, TValue>(string name) where TNamespace : notnull;

    /// <summary>Timers for a namespace type; a timer is (key, namespace, time) and fires once.</summary>
    ITimerService<TKey, TNamespace> GetTimerService<TNamespace>(string name, ITimerCallback<TKey, TNamespace> callback) where TNamespace : notnull;

    /// <summary>Every key that has state in the named state.</summary>
    IEnumerable<TKey> Keys(string stateName);

    /// <summary>Removes all state and timers of a key (used for erasure on opt-out).</summary>
    void ClearKey(TKey key);

    /// <summary>Fires every event-time timer due at <paramref name="watermark"/>, in time order. Called by keyed operators on each watermark.</summary>
    void AdvanceWatermark(long watermark);
}

/// <summary>Values by (key, namespace); the current key comes from the backend.</summary>
public interface INamespacedState<TKey, TNamespace, TValue> where TKey : notnull where TNamespace : notnull
{
    bool TryGet(TNamespace ns, out TValue value);
    void Set(TNamespace ns, TValue value);
    void Remove(TNamespace ns);

    /// <summary>Direct access for read-modify-write on the hot path: returns a reference to the slot, creating it with default if absent.</summary>
    ref TValue? GetOrAddRef(TNamespace ns, out bool exists);

    /// <summary>All namespaces of the current key.</summary>
    IEnumerable<TNamespace> Namespaces();
}

/// <summary>Event-time and processing-time timers keyed by (key, namespace) (Flink: InternalTimerService).</summary>
public interface ITimerService<TKey, TNamespace> where TKey : notnull where TNamespace : notnull
{
    long CurrentWatermark { get; }
    long CurrentProcessingTime { get; }
    void RegisterEventTimeTimer(TNamespace ns, long time);
    void DeleteEventTimeTimer(TNamespace ns, long time);
    void RegisterProcessingTimeTimer(TNamespace ns, long time);
    void DeleteProcessingTimeTimer(TNamespace ns, long time);
}

/// <summary>Receives fired timers; the backend's current key is set to the timer's key before the call.</summary>
public interface ITimerCallback<TKey, TNamespace>
{
    void OnEventTime(TKey key, TNamespace ns, long time);
    void OnProcessingTime(TKey key, TNamespace ns, long time);
}

/// <summary>Non-keyed (operator) state: whole lists and broadcast maps, snapshotted per subtask.</summary>
public interface IOperatorStateStore
{
    /// <summary>A list redistributed round-robin when parallelism changes (Flink: split-redistribute list state).</summary>
    IList<T> GetListState<T>(string name);

    /// <summary>
    /// A list that every subtask receives whole, all old subtasks' elements, when parallelism changes (Flink: union list
    /// state); at the same parallelism each subtask gets back its own. For state an operator must re-divide itself on
    /// rescale, by key or otherwise.
    /// </summary>
    IList<T> GetUnionListState<T>(string name);

    /// <summary>A map that every subtask holds in full (broadcast state).</summary>
    IDictionary<TKey, TValue> GetBroadcastState<TKey, TValue>(MapStateDescriptor<TKey, TValue> descriptor) where TKey : notnull;
}

/// <summary>Given to <c>InitializeState</c>: tells whether state was restored.</summary>
public interface IStateInitializationContext
{
    bool IsRestored { get; }
    long? RestoredCheckpointId { get; }
}

/// <summary>Read-only broadcast state as a keyed function sees it.</summary>
public interface IReadOnlyBroadcastState<TKey, TValue> where TKey : notnull
{
    bool TryGetValue(TKey key, out TValue value);
    IEnumerable<KeyValuePair<TKey, TValue>> Entries();
}
