using System.Collections.Concurrent;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Runtime.KeyGroups;
using RecoFlow.Runtime.State;

namespace RecoFlow.Runtime.Execution;

/// <summary>The context the runtime (or the test harness) gives one operator instance.</summary>
public sealed class OperatorContext : IOperatorContext, IStateInitializationContext, IDisposable
{
    private IKeyedStateBackendInternal? _keyed;

    /// <param name="stateBackend">Where keyed state lives (when <paramref name="keyType"/> is set).</param>
    /// <param name="stateDirectory">The job's state directory, if any: the RocksDB backend's working directory goes under it (else under the temporary directory).</param>
    public OperatorContext(string operatorName, string operatorId, int subtaskIndex, int parallelism, int maxParallelism,
        IReadOnlyDictionary<string, string> jobParameters, IProcessingTimeService processingTime, IDeadLetterOutput deadLetters, Type? keyType,
        StateBackendKind stateBackend = StateBackendKind.Heap, string? stateDirectory = null)
    {
        OperatorName = operatorName;
        OperatorId = operatorId;
        SubtaskIndex = subtaskIndex;
        Parallelism = parallelism;
        MaxParallelism = maxParallelism;
        JobParameters = jobParameters;
        ProcessingTime = processingTime;
        DeadLetters = deadLetters;
        KeyGroups = KeyGroupAssignment.RangeOf(subtaskIndex, maxParallelism, parallelism);
        StateBackend = stateBackend;
        if (keyType is null) return;
        try
        {
            _keyed = stateBackend switch
            {
                StateBackendKind.Heap => (IKeyedStateBackendInternal)Activator.CreateInstance(typeof(HeapKeyedStateBackend<>).MakeGenericType(keyType), KeyGroups, maxParallelism, processingTime)!,
                StateBackendKind.RocksDb => (IKeyedStateBackendInternal)Activator.CreateInstance(typeof(RocksDbKeyedStateBackend<>).MakeGenericType(keyType), KeyGroups, maxParallelism, processingTime,
                    RocksDbDirectories.For(stateDirectory, operatorId, subtaskIndex))!,
                _ => throw new ArgumentOutOfRangeException(nameof(stateBackend), stateBackend, "unknown state backend"),
            };
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
        }
    }

    /// <summary>Where this operator's keyed state lives.</summary>
    public StateBackendKind StateBackend { get; }

    /// <summary>Releases the keyed state's working storage (the RocksDB backend's database and directory).</summary>
    public void Dispose() => _keyed?.Dispose();

    public string OperatorName { get; }
    public string OperatorId { get; }
    public int SubtaskIndex { get; }
    public int Parallelism { get; }
    public int MaxParallelism { get; }
    public KeyGroupRange KeyGroups { get; }
    public IReadOnlyDictionary<string, string> JobParameters { get; }
    public IProcessingTimeService ProcessingTime { get; }
    public IDeadLetterOutput DeadLetters { get; }
    public OperatorStateStore OperatorStateStore { get; } = new();
    public IOperatorStateStore OperatorState => OperatorStateStore;
    public OperatorMetrics OperatorMetrics { get; } = new();
    public IOperatorMetrics Metrics => OperatorMetrics;
    public IKeyedStateBackendInternal? KeyedBackend => _keyed;

    public bool IsRestored { get; private set; }
    public long? RestoredCheckpointId { get; private set; }

    public IKeyedStateBackend<TKey> GetKeyedStateBackend<TKey>() where TKey : notnull =>
        _keyed as IKeyedStateBackend<TKey> ?? throw new InvalidOperationException(_keyed is null
            ? $"{OperatorName} uses keyed state but its input is not keyed: call KeyBy first"
            : $"{OperatorName} asks for keyed state with key type {typeof(TKey).Name}, but its input is keyed by {_keyed.KeyType.Name}");

    /// <summary>Installs restored state before <see cref="IStreamOperator.InitializeState"/>.</summary>
    public void Restore(long checkpointId, OperatorSnapshot snapshot)
    {
        IsRestored = true;
        RestoredCheckpointId = checkpointId;
        if (snapshot.Keyed is not null) _keyed?.Restore(snapshot.Keyed.KeyGroups);
        if (snapshot.Operator is not null) OperatorStateStore.Restore(snapshot.Operator);
    }

    public OperatorSnapshot Snapshot() => Snapshot(incremental: false);

    /// <summary>The operator's state; <paramref name="incremental"/>: its keyed state as the changes since the previous snapshot (when it can), its large operator states as patches of their previous snapshot.</summary>
    public OperatorSnapshot Snapshot(bool incremental) => new() { Keyed = _keyed?.Snapshot(incremental), Operator = OperatorStateStore.Snapshot(incremental) };
}

/// <summary>The state of one operator subtask at a checkpoint.</summary>
[MessagePack.MessagePackObject]
public sealed class OperatorSnapshot
{
    [MessagePack.Key(0)] public KeyedStateSnapshot? Keyed { get; set; }
    [MessagePack.Key(1)] public OperatorStateSnapshot? Operator { get; set; }
}

/// <summary>Named counters and gauges of one operator; written by its task, read by anyone.</summary>
public sealed class OperatorMetrics : IOperatorMetrics
{
    private readonly ConcurrentDictionary<string, long> _counters = new();
    private readonly ConcurrentDictionary<string, double> _gauges = new();

    public void Increment(string counter, long delta = 1) => _counters.AddOrUpdate(counter, delta, (_, v) => v + delta);
    public void Gauge(string name, double value) => _gauges[name] = value;
    public IReadOnlyDictionary<string, long> Counters => _counters;
    public IReadOnlyDictionary<string, double> Gauges => _gauges;
}

/// <summary>Wall clock for processing time; replaced by a manual clock in tests.</summary>
public interface IClock
{
    long NowMillis { get; }
}

public sealed class SystemClock : IClock
{
    public static readonly SystemClock Instance = new();
    public long NowMillis => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
