using Akka.Actor;
using RecoFlow.Api.Graph;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Credit between a record writer and the input gate of its receiver, with the receiver played by a test probe:
/// the writer marks the batch that spends its last credit, and a receiver that gathers credits before announcing them
/// still never leaves a sender waiting.
/// </summary>
public sealed class ChannelCreditTests : Akka.TestKit.Xunit2.TestKit
{
    private RecordWriter<int> Writer(int credits)
    {
        var writer = new RecordWriter<int>(index: 0, PartitioningKind.Forward, key: null, subtaskIndex: 0, maxParallelism: 128, consumerParallelism: 1,
            batchSize: 1, initialCredits: credits, consumerName: "sink", deadLetter: (_, _, _) => { });
        writer.Connect([new ChannelTarget(TestActor, InputChannel: 0)], ActorRefs.Nobody, attempt: 1);
        return writer;
    }

    [Fact]
    public void The_batch_that_spends_the_senders_last_credit_says_so()
    {
        var writer = Writer(credits: 2);
        for (var i = 0; i < 3; i++) writer.Collect(i, i);

        Assert.False(ExpectMsg<DataBatch<int>>().LastCredit);
        Assert.True(ExpectMsg<DataBatch<int>>().LastCredit);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // the third waits for credit
        Assert.True(writer.IsBlocked);

        writer.AddCredit(0, 2);
        Assert.False(ExpectMsg<DataBatch<int>>().LastCredit); // one credit left after it
        Assert.False(writer.IsBlocked);
    }

    /// <summary>
    /// Senders with one to five credits against a gate that announces every two, four or eight: every
    /// batch arrives, because the batch sent with a sender's last credit brings its credits back at once.
    /// </summary>
    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 8)]
    public void A_gathering_receiver_never_leaves_its_sender_waiting(int senderCredits, int announceEvery)
    {
        const int records = 40;
        var writer = Writer(senderCredits);
        var gate = new InputGate([new ChannelSource(ActorRefs.Nobody, Writer: 0, Channel: 0, InputIndex: 0)], announceEvery);
        for (var i = 0; i < records; i++) writer.Collect(i, i); // the writer sends what its credits allow and queues the rest
        var received = 0;
        var announcements = 0;
        while (received < records)
        {
            // A batch that never comes (the sender waiting for credits the receiver holds) fails the test here.
            var batch = ExpectMsg<DataBatch<int>>(TimeSpan.FromSeconds(5));
            Assert.True(gate.Accept(batch));
            received += batch.Count;
            if (gate.GrantCredit(0, batch.LastCredit) is > 0 and var credits)
            {
                announcements++;
                writer.AddCredit(0, credits);
            }
        }
        Assert.Equal(records, received);
        Assert.False(writer.IsBlocked);
        Assert.True(announcements <= records, $"{announcements} announcements for {records} batches");
        if (senderCredits >= 2 * announceEvery) Assert.True(announcements <= records / announceEvery + 1, $"{announcements} announcements");
    }
}
