using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;

namespace RecoFlow.Runtime.Execution;

/// <summary>The output type of operators that emit nothing (sinks).</summary>
public readonly record struct Unit;

/// <summary>
/// Writes every record into the sink's writer (Flink: SinkWriterOperator + committer). For a two-phase-commit writer:
/// on each checkpoint it pre-commits what was written since the last one and keeps the handle in its state; when the
/// checkpoint completes it commits every handle up to it; after a restore it commits the handles of the restored
/// checkpoint and aborts what the failed attempt left. Other writers are flushed on each checkpoint (at-least-once).
/// </summary>
public sealed class SinkOperator<T>(ISink<T> sink, string? stateDirectory, bool checkpointing) : OneInputOperator<T, Unit>, ISinkOperator, ICheckpointListener
{
    /// <summary>Union state: after a rescale every subtask sees every handle (commits are idempotent).</summary>
    private const string CommittablesState = "union/sink-committables";
    private ISinkWriter<T>? _writer;
    private IList<Committable>? _state;
    private readonly List<Committable> _pending = [];
    private List<Committable> _restored = [];

    public ISinkWriter<T> Writer => _writer ?? throw new InvalidOperationException("sink is not open");

    /// <summary>Records written so far.</summary>
    public long Written { get; private set; }

    public override void InitializeState(IStateInitializationContext context)
    {
        base.InitializeState(context);
        _state = Context.OperatorState.GetListState<Committable>(CommittablesState);
        _restored = [.. _state];
        _state.Clear();
    }

    public override void Open()
    {
        _writer = sink.CreateWriter(new SinkContext(Context.SubtaskIndex, Context.Parallelism, Context.OperatorId, Context.JobParameters, stateDirectory)
        {
            CheckpointingEnabled = checkpointing,
            DeadLetters = Context.DeadLetters,
        });
        if (_writer is ITwoPhaseCommitSinkWriter<T> tpc) tpc.Recover(_restored.Select(c => c.Handle).ToList());
        _restored = [];
    }

    public override void ProcessElement(T value, long timestamp)
    {
        Written++;
        _writer!.Write(value, timestamp);
    }

    public override void SnapshotState(long checkpointId)
    {
        if (_writer is ITwoPhaseCommitSinkWriter<T> tpc)
        {
            _pending.Add(new Committable(checkpointId, tpc.PrepareCommit(checkpointId)));
            _state!.Clear();
            foreach (var c in _pending) _state.Add(c);
        }
        else _writer?.Flush(endOfInput: false);
    }

    public void NotifyCheckpointComplete(long checkpointId)
    {
        if (_writer is not ITwoPhaseCommitSinkWriter<T> tpc) return;
        var ready = _pending.Where(c => c.CheckpointId <= checkpointId).ToList();
        if (ready.Count == 0) return;
        tpc.Commit(checkpointId, ready.Select(c => c.Handle).ToList());
        _pending.RemoveAll(c => c.CheckpointId <= checkpointId);
    }

    public override void Finish()
    {
        if (_writer is ITwoPhaseCommitSinkWriter<T> tpc)
        {
            // Without checkpoints the end of input is the only commit point; with them the final checkpoint commits.
            if (!checkpointing) tpc.Commit(long.MaxValue, [tpc.PrepareCommit(long.MaxValue)]);
        }
        else _writer?.Flush(endOfInput: true);
    }

    public override void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
        base.Dispose();
    }

    /// <summary>A pre-committed transaction of a checkpoint.</summary>
    public sealed record Committable(long CheckpointId, byte[] Handle);
}

/// <summary>Untyped view of a sink operator.</summary>
public interface ISinkOperator
{
    long Written { get; }
}
