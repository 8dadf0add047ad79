using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Execution;
using static RecoFlow.Tests.Runtime.InputGateTests;

namespace RecoFlow.Tests.Runtime;

/// <summary>
/// Barrier alignment on its own, in the style of Flink's CheckpointBarrierAlignerTest: a gate and an aligner driven the
/// way the task actor drives them, logging processed records ("r&lt;value&gt;") and checkpoints taken ("cp&lt;id&gt;").
/// </summary>
public sealed class BarrierAlignerTests
{
    /// <summary>What TaskActor.Handle does with an accepted message, with a log instead of operators and snapshots.</summary>
    private sealed class Input
    {
        private readonly long[] _seq;

        public Input(int channels)
        {
            Gate = InputGateTests.Gate(channels);
            Aligner = new BarrierAligner(Gate);
            _seq = new long[channels];
        }

        public InputGate Gate { get; }
        public BarrierAligner Aligner { get; }
        public List<string> Log { get; } = [];

        public AlignmentResult Data(int channel, int value) => Deliver(Batch(channel, Next(channel), value));

        public AlignmentResult Barrier(int channel, long id, bool savepoint = false, long now = 0) =>
            Deliver(new BarrierMessage { CheckpointId = id, Timestamp = 0, IsSavepoint = savepoint, Channel = channel, Seq = Next(channel) }, now);

        public AlignmentResult End(int channel) => Deliver(new EndOfPartitionMessage { Channel = channel, Seq = Next(channel) });

        /// <summary>Queues a message, as the task does while its output is backpressured.</summary>
        public void Queue(ChannelMessage m)
        {
            Assert.True(Gate.Accept(m));
            Gate.Enqueue(m);
        }

        public BarrierMessage NextBarrier(int channel, long id) => new() { CheckpointId = id, Timestamp = 0, Channel = channel, Seq = Next(channel) };

        public DataBatch<int> NextBatch(int channel, int value) => Batch(channel, Next(channel), value);

        /// <summary>Processes the gate's queue, as the task does on DrainPending.</summary>
        public void Drain()
        {
            while (Gate.TryDequeue(out var m)) Handle(m, 0);
        }

        private long Next(int channel) => ++_seq[channel];

        private AlignmentResult Deliver(ChannelMessage m, long now = 0)
        {
            Assert.True(Gate.Accept(m));
            return Handle(m, now);
        }

        private AlignmentResult Handle(ChannelMessage m, long now)
        {
            var ch = m.Channel;
            if (Gate.IsBlocked(ch))
            {
                Gate.Hold(m);
                return AlignmentResult.None;
            }
            switch (m)
            {
                case BarrierMessage b:
                    return Taken(Aligner.OnBarrier(ch, b.CheckpointId, b.IsSavepoint, now));
                case DataBatch<int> d:
                    Log.Add($"r{d.Records[0].Value}");
                    Gate.GrantCredit(ch, d.LastCredit);
                    return AlignmentResult.None;
                case EndOfPartitionMessage:
                    Gate.MarkEnded(ch);
                    return Taken(Aligner.OnChannelEnded());
                default:
                    return AlignmentResult.None;
            }
        }

        private AlignmentResult Taken(AlignmentResult result)
        {
            if ((result & AlignmentResult.Aligned) != 0) Log.Add($"cp{Aligner.LastCheckpointId}");
            return result;
        }
    }

    [Fact]
    public void A_barrier_blocks_its_channel_until_every_channel_delivered_it()
    {
        var input = new Input(3);
        Assert.Equal(AlignmentResult.None, input.Barrier(0, 1));
        Assert.True(input.Aligner.IsAligning);
        Assert.Equal(1, input.Aligner.AligningId);
        Assert.True(input.Gate.IsBlocked(0));
        Assert.False(input.Gate.IsBlocked(1));
        Assert.False(input.Gate.IsBlocked(2));

        input.Data(0, 1); // after the barrier on channel 0: held, no credit back
        input.Data(1, 2); // channel 1 has not delivered the barrier: processed
        Assert.Equal(new[] { "r2" }, input.Log);
        Assert.Equal(1, input.Gate.HeldCount);
        Assert.Equal(0, input.Gate.CreditsGranted(0));

        Assert.Equal(AlignmentResult.None, input.Barrier(1, 1));
        Assert.True(input.Gate.IsBlocked(1));
        input.Data(1, 3);
        Assert.Equal(2, input.Gate.HeldCount);

        // The last barrier: the checkpoint is due, before anything held is processed.
        Assert.Equal(AlignmentResult.Aligned | AlignmentResult.Released, input.Barrier(2, 1));
        Assert.Equal(new[] { "r2", "cp1" }, input.Log);
        Assert.False(input.Aligner.IsAligning);
        Assert.Equal(1, input.Aligner.LastCheckpointId);
        for (var ch = 0; ch < 3; ch++) Assert.False(input.Gate.IsBlocked(ch));

        input.Drain();
        Assert.Equal(new[] { "r2", "cp1", "r1", "r3" }, input.Log);
        Assert.Equal(1, input.Gate.CreditsGranted(0)); // credit for the held batch once it is processed
    }

    [Fact]
    public void Held_messages_are_released_before_input_queued_behind_the_last_barrier()
    {
        var input = new Input(2);
        input.Barrier(0, 1);
        input.Data(0, 1); // held
        // Output backpressured: channel 1's barrier and a batch after it wait in the queue.
        input.Queue(input.NextBarrier(1, 1));
        input.Queue(input.NextBatch(1, 2));
        input.Drain();
        Assert.Equal(new[] { "cp1", "r1", "r2" }, input.Log);
        Assert.Equal(0, input.Gate.HeldCount);
        Assert.False(input.Gate.HasQueued);
    }

    [Fact]
    public void A_newer_barrier_aborts_the_older_alignment_and_starts_over()
    {
        var input = new Input(3);
        input.Barrier(0, 1);
        input.Data(0, 1); // held by the alignment of 1

        // Barrier 2 while 1 is aligning: 1 was abandoned upstream. Channel 0 is released, only channel 1 is blocked now.
        Assert.Equal(AlignmentResult.Released, input.Barrier(1, 2));
        Assert.Equal(2, input.Aligner.AligningId);
        Assert.Equal(0, input.Aligner.LastCheckpointId); // checkpoint 1 is not taken
        Assert.False(input.Gate.IsBlocked(0));
        Assert.True(input.Gate.IsBlocked(1));
        Assert.Empty(input.Log);

        input.Drain();
        Assert.Equal(new[] { "r1" }, input.Log);
        Assert.Equal(AlignmentResult.None, input.Barrier(0, 2));
        Assert.Equal(AlignmentResult.Aligned, input.Barrier(2, 2)); // nothing held: nothing to release
        Assert.Equal(new[] { "r1", "cp2" }, input.Log);
        Assert.Equal(2, input.Aligner.LastCheckpointId);

        // A late barrier of the abandoned checkpoint is stale now: dropped, nothing blocked.
        Assert.Equal(AlignmentResult.None, input.Barrier(2, 1));
        Assert.False(input.Aligner.IsAligning);
        Assert.False(input.Gate.IsBlocked(2));
    }

    [Fact]
    public void A_late_barrier_of_an_abandoned_checkpoint_during_a_newer_alignment_is_dropped()
    {
        var input = new Input(2);
        input.Barrier(0, 2); // aligning 2, while channel 1's barrier of the abandoned checkpoint 1 is still on its way

        Assert.Equal(AlignmentResult.None, input.Barrier(1, 1));
        Assert.False(input.Gate.IsBlocked(1));
        Assert.Equal(2, input.Aligner.AligningId);

        // Channel 1's records before its barrier 2 belong in snapshot 2, so they are processed before it.
        input.Data(1, 7);
        Assert.Equal(new[] { "r7" }, input.Log);
        Assert.Equal(AlignmentResult.Aligned, input.Barrier(1, 2));
        Assert.Equal(new[] { "r7", "cp2" }, input.Log);
        Assert.Equal(2, input.Aligner.LastCheckpointId);
    }

    [Fact]
    public void Barriers_of_checkpoints_already_taken_are_dropped()
    {
        var input = new Input(2);
        input.Aligner.CheckpointTaken(5); // restored from checkpoint 5
        Assert.Equal(AlignmentResult.None, input.Barrier(0, 5));
        Assert.Equal(AlignmentResult.None, input.Barrier(0, 4));
        Assert.False(input.Aligner.IsAligning);
        Assert.False(input.Gate.IsBlocked(0));
        input.Data(0, 1);
        Assert.Equal(new[] { "r1" }, input.Log); // not held

        Assert.Equal(AlignmentResult.None, input.Barrier(0, 6));
        Assert.Equal(6, input.Aligner.AligningId);
    }

    [Fact]
    public void A_single_channel_aligns_at_once()
    {
        var input = new Input(1);
        Assert.Equal(AlignmentResult.Aligned, input.Barrier(0, 3, savepoint: true, now: 1234));
        Assert.Equal(3, input.Aligner.LastCheckpointId);
        Assert.True(input.Aligner.IsSavepoint);
        Assert.Equal(1234, input.Aligner.StartTicks);
        Assert.False(input.Gate.IsBlocked(0));
        input.Data(0, 1);
        Assert.Equal(new[] { "cp3", "r1" }, input.Log);
    }

    [Fact]
    public void An_ended_channel_is_not_waited_for()
    {
        var input = new Input(3);
        Assert.Equal(AlignmentResult.None, input.End(2));
        Assert.Equal(AlignmentResult.None, input.Barrier(0, 1));
        Assert.Equal(AlignmentResult.Aligned, input.Barrier(1, 1));
        Assert.Equal(new[] { "cp1" }, input.Log);
    }

    [Fact]
    public void The_alignment_completes_when_the_last_channel_it_waits_for_ends()
    {
        var input = new Input(2);
        input.Barrier(0, 1);
        input.Data(0, 1); // held
        Assert.Equal(AlignmentResult.Aligned | AlignmentResult.Released, input.End(1));
        Assert.Equal(new[] { "cp1" }, input.Log);
        input.Drain();
        Assert.Equal(new[] { "cp1", "r1" }, input.Log);
    }

    [Fact]
    public void Savepoint_flag_and_start_time_come_from_the_first_barrier()
    {
        var input = new Input(2);
        input.Barrier(0, 1, savepoint: true, now: 100);
        Assert.Equal(AlignmentResult.Aligned, input.Barrier(1, 1, savepoint: false, now: 200));
        Assert.True(input.Aligner.IsSavepoint);
        Assert.Equal(100, input.Aligner.StartTicks);
    }
}
