using Akka.Actor;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Runtime;

/// <summary>The task's input gate on its own: sequence numbers, credit and the queues of unprocessed messages.</summary>
public sealed class InputGateTests
{
    internal static InputGate Gate(int channels, int announceEvery = 1) =>
        new(Enumerable.Range(0, channels).Select(i => new ChannelSource(ActorRefs.Nobody, Writer: 10 + i, Channel: 20 + i, InputIndex: i % 2)).ToList(), announceEvery);

    internal static DataBatch<int> Batch(int channel, long seq, int value = 0) =>
        new() { Records = [new StreamRecord<int> { Value = value }], Count = 1, Channel = channel, Seq = seq };

    internal static WatermarkMessage Wm(int channel, long seq, long watermark) => new() { Watermark = watermark, Channel = channel, Seq = seq };

    [Fact]
    public void Each_channel_numbers_its_messages_from_one()
    {
        var gate = Gate(2);
        Assert.True(gate.Accept(Batch(0, 1)));
        Assert.True(gate.Accept(Wm(1, 1, 5)));
        Assert.True(gate.Accept(Batch(0, 2)));
        Assert.True(gate.Accept(Batch(1, 2)));
        Assert.Equal(3, gate.ExpectedSeq(0));
        Assert.Equal(3, gate.ExpectedSeq(1));
    }

    /// <summary>A lost message shows as a gap. The gate refuses it and stays where it was; the task then throws, which
    /// fails the task (TaskFailed to the job master, which restarts the job from its last checkpoint).</summary>
    [Fact]
    public void A_lost_or_repeated_message_is_refused_and_the_gate_does_not_move_on()
    {
        var gate = Gate(2);
        Assert.True(gate.Accept(Batch(0, 1)));
        Assert.False(gate.Accept(Batch(0, 3))); // message 2 was lost
        Assert.Equal(2, gate.ExpectedSeq(0));
        Assert.Equal(1, gate.OutstandingBatches(0)); // the refused batch is not counted
        Assert.False(gate.Accept(Batch(0, 1))); // a repeat
        Assert.Equal(1, gate.ExpectedSeq(1)); // the other channel is untouched
        Assert.True(gate.Accept(Batch(0, 2)));
    }

    [Fact]
    public void Credit_goes_back_to_the_channel_sender_only_for_processed_batches()
    {
        var gate = Gate(2);
        gate.Accept(Batch(0, 1));
        gate.Accept(Wm(0, 2, 7)); // events need no credit
        gate.Accept(Batch(0, 3));
        gate.Accept(Batch(1, 1));
        Assert.Equal(2, gate.OutstandingBatches(0));
        Assert.Equal(1, gate.OutstandingBatches(1));

        Assert.Equal(1, gate.GrantCredit(0, lastCredit: false)); // one at a time: the gate announces every credit
        Assert.Equal((10, 20), (gate.Source(0).Writer, gate.Source(0).Channel)); // to channel 0's writer and channel
        Assert.Equal(1, gate.CreditsGranted(0));
        Assert.Equal(0, gate.CreditsGranted(1));
        Assert.Equal(1, gate.OutstandingBatches(0));

        gate.GrantCredit(0, lastCredit: false);
        gate.GrantCredit(1, lastCredit: false);
        Assert.Equal(0, gate.OutstandingBatches(0));
        Assert.Equal(0, gate.OutstandingBatches(1));
        Assert.Equal(2, gate.CreditsGranted(0));
    }

    [Fact]
    public void Credits_gather_per_channel_until_the_announcement_size()
    {
        var gate = Gate(2, announceEvery: 2);
        for (var seq = 1; seq <= 5; seq++) gate.Accept(Batch(0, seq));
        gate.Accept(Batch(1, 1));

        Assert.Equal(0, gate.GrantCredit(0, lastCredit: false)); // one credit gathered: nothing to send yet
        Assert.Equal(1, gate.UnannouncedCredits(0));
        Assert.Equal(0, gate.GrantCredit(1, lastCredit: false)); // channels gather separately
        Assert.Equal(2, gate.GrantCredit(0, lastCredit: false)); // two: both go back in one message
        Assert.Equal(0, gate.UnannouncedCredits(0));
        Assert.Equal(0, gate.GrantCredit(0, lastCredit: false));
        Assert.Equal(2, gate.GrantCredit(0, lastCredit: false));
        Assert.Equal(4, gate.CreditsGranted(0)); // every processed batch earned its credit, announced or not
        Assert.Equal(1, gate.OutstandingBatches(0));
        Assert.Equal(1, gate.UnannouncedCredits(1));
    }

    /// <summary>
    /// The sender spent its last credit on the batch: it may be waiting, so what the channel gathered goes back at
    /// once, however little. Without this a sender with fewer credits than the announcement size would wait forever.
    /// </summary>
    [Fact]
    public void A_batch_sent_with_the_senders_last_credit_returns_the_gathered_credits_at_once()
    {
        var gate = Gate(1, announceEvery: 4);
        gate.Accept(Batch(0, 1));
        gate.Accept(Batch(0, 2));
        Assert.Equal(0, gate.GrantCredit(0, lastCredit: false));
        Assert.Equal(2, gate.GrantCredit(0, lastCredit: true));
        Assert.Equal(0, gate.UnannouncedCredits(0));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(4, 2)]
    [InlineData(9, 4)]
    public void A_channel_announces_half_of_its_senders_credits(int channelCredits, int announceEvery) =>
        Assert.Equal(announceEvery, InputGate.AnnounceEvery(channelCredits));

    [Fact]
    public void Queued_messages_come_out_in_arrival_order()
    {
        var gate = Gate(2);
        ChannelMessage a = Batch(0, 1), b = Batch(1, 1), c = Batch(0, 2);
        Assert.False(gate.HasQueued);
        gate.Enqueue(a);
        gate.Enqueue(b);
        gate.Enqueue(c);
        Assert.True(gate.HasQueued);
        Assert.Equal(new[] { a, b, c }, DrainQueue(gate));
        Assert.False(gate.TryDequeue(out _));
    }

    [Fact]
    public void Resume_puts_held_messages_before_queued_ones_and_unblocks_every_channel()
    {
        var gate = Gate(3);
        ChannelMessage held1 = Batch(0, 2), held2 = Batch(1, 2), queued = Batch(2, 1);
        gate.Block(0);
        gate.Block(1);
        gate.Hold(held1);
        gate.Enqueue(queued);
        gate.Hold(held2);
        Assert.True(gate.IsBlocked(0));
        Assert.True(gate.IsBlocked(1));
        Assert.False(gate.IsBlocked(2));
        Assert.True(gate.ResumeConsumption());
        Assert.False(gate.IsBlocked(0));
        Assert.False(gate.IsBlocked(1));
        Assert.Equal(0, gate.HeldCount);
        Assert.Equal(new[] { held1, held2, queued }, DrainQueue(gate));
    }

    [Fact]
    public void Resume_without_held_messages_unblocks_and_asks_for_no_drain()
    {
        var gate = Gate(2);
        ChannelMessage queued = Batch(1, 1);
        gate.Block(0);
        gate.Enqueue(queued);
        Assert.False(gate.ResumeConsumption());
        Assert.False(gate.IsBlocked(0));
        Assert.Equal(new[] { queued }, DrainQueue(gate));
    }

    [Fact]
    public void Ended_channels_count_once_and_all_ended_needs_channels()
    {
        var gate = Gate(2);
        gate.MarkEnded(1);
        gate.MarkEnded(1);
        Assert.Equal(1, gate.EndedCount);
        Assert.True(gate.IsEnded(1));
        Assert.False(gate.AllEnded);
        gate.MarkEnded(0);
        Assert.True(gate.AllEnded);
        Assert.False(Gate(0).AllEnded); // a task without input channels never ends through them
    }

    internal static List<ChannelMessage> DrainQueue(InputGate gate)
    {
        var all = new List<ChannelMessage>();
        while (gate.TryDequeue(out var m)) all.Add(m);
        return all;
    }
}
