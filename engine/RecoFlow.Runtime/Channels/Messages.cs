using Akka.Actor;

namespace RecoFlow.Runtime.Channels;

/// <summary>A record with its event timestamp, as it travels in channel batches.</summary>
public struct StreamRecord<T>
{
    public T Value;
    public long Timestamp;
}

/// <summary>
/// What travels on a channel from one task to another, in order: data batches and in-band events (watermarks,
/// idleness, end of partition, checkpoint barriers). <see cref="Channel"/> is the receiver's input channel index;
/// <see cref="Seq"/> numbers the messages of a channel from 1, so a lost or reordered message shows as a gap.
/// </summary>
public abstract class ChannelMessage
{
    public int Channel { get; init; }
    public long Seq { get; set; }

    /// <summary>The job attempt that sent it; messages of older attempts are dropped.</summary>
    public int Attempt { get; init; }
}

/// <summary>Untyped view of a data batch.</summary>
public interface IDataBatch
{
    int Count { get; }

    /// <summary>
    /// The sender spent its last credit of the channel on this batch: the receiver returns the credits it holds for
    /// the channel as soon as it has processed it, instead of waiting until enough have gathered (see <see cref="CreditMessage"/>).
    /// </summary>
    bool LastCredit { get; }
}

/// <summary>A batch of records; the receiver owns the array after it is sent.</summary>
public sealed class DataBatch<T> : ChannelMessage, IDataBatch
{
    public required StreamRecord<T>[] Records { get; init; }
    public required int Count { get; init; }

    /// <inheritdoc />
    public bool LastCredit { get; set; }
}

public sealed class WatermarkMessage : ChannelMessage
{
    public required long Watermark { get; init; }
}

/// <summary>The sender is idle (emits neither records nor watermarks) or active again.</summary>
public sealed class IdleMessage : ChannelMessage
{
    public required bool Idle { get; init; }
}

/// <summary>The sender's output on this channel has ended: no more messages follow.</summary>
public sealed class EndOfPartitionMessage : ChannelMessage;

/// <summary>Checkpoint barrier n: everything before it belongs to checkpoint n's state, everything after to n+1.</summary>
public sealed class BarrierMessage : ChannelMessage
{
    public required long CheckpointId { get; init; }
    public required long Timestamp { get; init; }
    public bool IsSavepoint { get; init; }

    /// <summary>
    /// For a savepoint: the directory each task writes its state into (Flink: the target location in the barrier's
    /// <c>CheckpointOptions</c>), so the state never travels to the job master; null for a checkpoint.
    /// </summary>
    public string? SavepointDirectory { get; init; }
}

/// <summary>
/// The receiver grants <see cref="Credits"/> more data batches on channel <see cref="Channel"/> of writer <see cref="Writer"/>.
/// A receiver returns the credits of processed batches in groups (half the channel's credits), and at once when the
/// batch was the sender's last credit (<see cref="IDataBatch.LastCredit"/>), so a sender never waits for credit its
/// receiver holds, and a busy channel carries half as many credit messages as batches (Flink's receivers likewise
/// announce credit that has gathered while the previous announcement was on its way).
/// </summary>
public sealed record CreditMessage(int Writer, int Channel, int Credits, int Attempt);

/// <summary>Where a writer's channel goes: the receiving task and its input channel index.</summary>
public sealed record ChannelTarget(IActorRef Task, int InputChannel);

/// <summary>Where an input channel comes from: the sending task, its writer and channel index (to return credits).</summary>
public sealed record ChannelSource(IActorRef Task, int Writer, int Channel, int InputIndex);
