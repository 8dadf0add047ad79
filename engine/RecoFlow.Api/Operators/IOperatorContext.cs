using RecoFlow.Api.State;

namespace RecoFlow.Api.Operators;

/// <summary>What the runtime gives an operator when it opens. Implemented by the runtime and by the test kit's harness.</summary>
public interface IOperatorContext
{
    /// <summary>The operator's name as given in the job.</summary>
    string OperatorName { get; }

    /// <summary>The operator's stable id (its uid, or one derived from its position in the graph).</summary>
    string OperatorId { get; }

    int SubtaskIndex { get; }
    int Parallelism { get; }

    /// <summary>Key groups in the job (Flink's max parallelism). Fixed for the job's lifetime.</summary>
    int MaxParallelism { get; }

    /// <summary>The job's parameters (from <c>--param k=v</c>), read-only.</summary>
    IReadOnlyDictionary<string, string> JobParameters { get; }

    /// <summary>Wall-clock time and processing-time callbacks.</summary>
    IProcessingTimeService ProcessingTime { get; }

    /// <summary>Keyed state and timers for a keyed operator; throws for an operator on a non-keyed stream.</summary>
    IKeyedStateBackend<TKey> GetKeyedStateBackend<TKey>() where TKey : notnull;

    /// <summary>Non-keyed state of this subtask: snapshotted and restored as a whole.</summary>
    IOperatorStateStore OperatorState { get; }

    /// <summary>Records that cannot be processed go here with a reason, instead of failing the job.</summary>
    IDeadLetterOutput DeadLetters { get; }

    /// <summary>Counters the dashboard and /metrics show for this operator.</summary>
    IOperatorMetrics Metrics { get; }
}

/// <summary>Processing time (wall clock, epoch ms) for an operator; callbacks run on the operator's task, never concurrently with it.</summary>
public interface IProcessingTimeService
{
    long CurrentProcessingTime { get; }

    /// <summary>Calls <paramref name="callback"/> with the due time once the clock reaches <paramref name="timestamp"/>.</summary>
    void RegisterTimer(long timestamp, Action<long> callback);
}

/// <summary>A record the engine could not process, with the reason. Dead letters never stop the job.</summary>
public sealed record DeadLetter(string OperatorName, string Reason, string Record, long Timestamp);

public interface IDeadLetterOutput
{
    void Report(string reason, object? record, long timestamp);
}

public interface IOperatorMetrics
{
    void Increment(string counter, long delta = 1);
    void Gauge(string name, double value);
}
