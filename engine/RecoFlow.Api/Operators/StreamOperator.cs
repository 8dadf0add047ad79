using RecoFlow.Api.State;

namespace RecoFlow.Api.Operators;

/// <summary>
/// The operator contract (Flink: StreamOperator). The runtime guarantees that no two methods of one operator
/// instance are called concurrently, and in this order: <see cref="Setup"/>, <see cref="InitializeState"/>
/// (restored or fresh), <see cref="Open"/>, then records, watermarks, timers and snapshots interleaved,
/// then <see cref="Finish"/> when all input has ended, then <see cref="Dispose"/>.
/// <para>Each parallel subtask has its own operator: the runtime calls the job graph's factory once per subtask and
/// runs a deep copy of what it returns (<see cref="Functions.SubtaskCopy"/>), so functions, lambdas and settings given
/// to an operator are its own. An operator constructed directly runs exactly the objects it was given.</para>
/// </summary>
public abstract class StreamOperator<TOut> : IStreamOperator
{
    private IOperatorContext? _context;
    private IOutput<TOut>? _output;

    /// <summary>The context; available from <see cref="Setup"/> on.</summary>
    protected IOperatorContext Context => _context ?? throw new InvalidOperationException("operator is not set up");

    /// <summary>Where results go; available from <see cref="Setup"/> on.</summary>
    protected IOutput<TOut> Output => _output ?? throw new InvalidOperationException("operator is not set up");

    /// <summary>The newest watermark this operator has seen on all its inputs.</summary>
    public long CurrentWatermark { get; private set; } = Time.Watermark.NoTimestamp;

    /// <summary>Called once by the runtime before anything else.</summary>
    public void Setup(IOperatorContext context, IOutput<TOut> output)
    {
        _context = context;
        _output = output;
    }

    /// <summary>Registers state. Restored state is visible through the backends once this returns.</summary>
    public virtual void InitializeState(IStateInitializationContext context) { }

    /// <summary>Called after state is initialised and before the first record.</summary>
    public virtual void Open() { }

    /// <summary>
    /// Called with each watermark that advances the minimum over the inputs. The default fires due
    /// event-time timers (keyed operators) and forwards the watermark.
    /// </summary>
    public void ProcessWatermark(long watermark)
    {
        if (watermark <= CurrentWatermark) return;
        CurrentWatermark = watermark;
        OnWatermark(watermark);
        Output.EmitWatermark(watermark);
    }

    /// <summary>Hook for subclasses: react to a watermark before it is forwarded (fire timers, close windows).</summary>
    protected virtual void OnWatermark(long watermark) { }

    /// <summary>Writes operator-owned state that does not live in the state backends (rarely needed).</summary>
    public virtual void SnapshotState(long checkpointId) { }

    /// <summary>All inputs have ended: emit what is still buffered. Called once.</summary>
    public virtual void Finish() { }

    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }
}

/// <summary>Untyped view of an operator for the runtime.</summary>
public interface IStreamOperator : IDisposable
{
    long CurrentWatermark { get; }
    void InitializeState(IStateInitializationContext context);
    void Open();
    void ProcessWatermark(long watermark);
    void SnapshotState(long checkpointId);
    void Finish();
}

/// <summary>An operator with one input (Flink: OneInputStreamOperator).</summary>
public interface IOneInputOperator<in TIn> : IStreamOperator
{
    /// <summary>Processes one record. Must not block.</summary>
    void ProcessElement(TIn value, long timestamp);
}

/// <summary>An operator with two inputs of different types (Flink: TwoInputStreamOperator).</summary>
public interface ITwoInputOperator<in TIn1, in TIn2> : IStreamOperator
{
    void ProcessElement1(TIn1 value, long timestamp);
    void ProcessElement2(TIn2 value, long timestamp);
}

/// <summary>Base class for single-input operators.</summary>
public abstract class OneInputOperator<TIn, TOut> : StreamOperator<TOut>, IOneInputOperator<TIn>
{
    public abstract void ProcessElement(TIn value, long timestamp);
}

/// <summary>Base class for two-input operators.</summary>
public abstract class TwoInputOperator<TIn1, TIn2, TOut> : StreamOperator<TOut>, ITwoInputOperator<TIn1, TIn2>
{
    public abstract void ProcessElement1(TIn1 value, long timestamp);
    public abstract void ProcessElement2(TIn2 value, long timestamp);
}
