namespace RecoFlow.Api.State;

/// <summary>Where a job's keyed state lives while it runs (chosen per job: <c>StreamJob.WithStateBackend</c>, <c>recoflow run --state-backend</c>).</summary>
public enum StateBackendKind
{
    /// <summary>Dictionaries on the heap: fastest; state must fit in memory. The default.</summary>
    Heap,

    /// <summary>An embedded RocksDB per keyed operator subtask: state larger than memory, at the cost of serialising on access.</summary>
    RocksDb,
}

/// <summary>The names of the state backends, as the command line and job parameters spell them.</summary>
public static class StateBackends
{
    /// <summary>The names accepted by <see cref="Parse"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["heap", "rocksdb"];

    /// <summary>Parses <c>heap</c> or <c>rocksdb</c> (any case); anything else is refused with a message naming it.</summary>
    public static StateBackendKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "heap" => StateBackendKind.Heap,
        "rocksdb" => StateBackendKind.RocksDb,
        _ => throw new ArgumentException($"unknown state backend '{name}' (known: {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>The name of a backend, as <see cref="Parse"/> reads it.</summary>
    public static string NameOf(StateBackendKind kind) => kind == StateBackendKind.RocksDb ? "rocksdb" : "heap";
}
