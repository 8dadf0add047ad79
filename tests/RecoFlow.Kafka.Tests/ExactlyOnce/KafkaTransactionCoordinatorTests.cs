using System.Text;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Kafka.Tests.ExactlyOnce;

/// <summary>
/// The exactly-once sink's commit and recovery logic against a broker with Kafka's transaction semantics and injected
/// crashes: whatever the moment of a crash, a read_committed reader sees every record of the job exactly once.
/// </summary>
public sealed class KafkaTransactionCoordinatorTests
{
    private static List<string> Committed(FaultyTransactionalBroker broker) =>
        broker.ReadCommitted(SinkJobSimulation.Topic).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void Crash_after_the_checkpoint_completed_and_before_its_notification_sends_the_records_again()
    {
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 30, interval: 10);
        job.BeforeNotify = id => { if (id == 2) throw new CrashException("before the notification of checkpoint 2"); };
        Assert.False(job.Run());
        // Checkpoint 2 is complete, its transaction is open: before, recovery aborted it and records 10..19 were lost.
        Assert.DoesNotContain("r15", Committed(broker));
        job.BeforeNotify = _ => { };
        Assert.True(job.Run());
        Assert.Equal(new KafkaTransactionRecovery.Outcome(0, 1, 10, 0), job.Recoveries[^1]);
        Assert.Equal(job.Expected(), Committed(broker));
        Assert.Contains(job.Log, l => l.Contains("checkpoint 2 of subtask 0: its transaction had not committed; sent its 10 record(s) again as sim-0-cp2", StringComparison.Ordinal));
    }

    [Fact]
    public void Crash_while_committing_after_the_request_reached_the_coordinator_does_not_send_again()
    {
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 30, interval: 10);
        job.BeforeNotify = id => { if (id == 2) broker.CrashAt(0, after: true); }; // the commit request of checkpoint 2
        Assert.False(job.Run());
        job.BeforeNotify = _ => { };
        Assert.True(job.Run());
        // InitTransactions on the old id finished the requested commit: the marker is committed, nothing is sent again.
        Assert.Equal(new KafkaTransactionRecovery.Outcome(1, 0, 0, 0), job.Recoveries[^1]);
        Assert.Equal(job.Expected(), Committed(broker));
    }

    [Fact]
    public void Crash_after_the_commit_succeeded_whose_notification_was_lost_does_not_send_again()
    {
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 30, interval: 10);
        job.BeforeNotify = id => { if (id == 2) broker.CrashAt(1, after: true); }; // the commit itself: done, but the task dies
        Assert.False(job.Run());
        job.BeforeNotify = _ => { };
        Assert.True(job.Run());
        Assert.Equal(new KafkaTransactionRecovery.Outcome(1, 0, 0, 0), job.Recoveries[^1]);
        Assert.Equal(job.Expected(), Committed(broker));
    }

    [Fact]
    public void Crash_before_the_checkpoint_completed_aborts_and_the_replay_writes_the_records()
    {
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 30, interval: 10);
        job.Completes = id => id == 1;
        broker.CrashAt(30, after: false); // at the flush of checkpoint 2's barrier: it never completes
        Assert.False(job.Run());
        job.Completes = _ => true;
        job.BeforeNotify = _ => { };
        Assert.True(job.Run());
        Assert.Equal(job.Expected(), Committed(broker));
        Assert.Equal(2, broker.ReadUncommitted(SinkJobSimulation.Topic).Count(v => v == "r15")); // written twice, once aborted
    }

    [Fact]
    public void A_recovery_that_dies_during_its_resend_is_fenced_and_the_next_one_sends_once()
    {
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 30, interval: 10);
        job.BeforeNotify = id => { if (id == 2) throw new CrashException("before the notification of checkpoint 2"); };
        Assert.False(job.Run());
        job.BeforeNotify = _ => { };
        // Recovery: init of 3 pool slots, init of the recovery id, begin, 10 produces: it dies before the marker.
        broker.CrashAt(3 + 1 + 1 + 10, after: false);
        Assert.False(job.Run());
        Assert.Equal(job.Expected(), job.Run() ? Committed(broker) : []);
        Assert.Equal(new KafkaTransactionRecovery.Outcome(0, 1, 10, 0), job.Recoveries[^1]);
        Assert.Single(broker.Calls, c => c == "commit sim-0-cp2");
    }

    [Fact]
    public void A_recovery_whose_resend_committed_is_not_repeated_by_the_next_restart_from_the_same_checkpoint()
    {
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 30, interval: 10);
        job.BeforeNotify = id => { if (id == 2) throw new CrashException("before the notification of checkpoint 2"); };
        Assert.False(job.Run());
        job.BeforeNotify = _ => { };
        // The re-send commits, then the run dies before its first checkpoint: the next run restores checkpoint 2 again.
        broker.CrashAt(3 + 1 + 1 + 10 + 1 + 1 + 2 + 2, after: false);
        Assert.False(job.Run());
        Assert.Equal(new KafkaTransactionRecovery.Outcome(0, 1, 10, 0), job.Recoveries[^1]);
        Assert.True(job.Run());
        Assert.Equal(new KafkaTransactionRecovery.Outcome(1, 0, 0, 0), job.Recoveries[^1]); // found the re-send's marker
        Assert.Equal(job.Expected(), Committed(broker));
    }

    [Fact]
    public void Folded_epochs_are_recovered_per_checkpoint()
    {
        // One producer: checkpoint 2's barrier comes before checkpoint 1's notification, so epoch 2 joins transaction 1.
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 40, interval: 10, poolSize: 1);
        job.Completes = id => id != 1;
        job.BeforeNotify = id => { if (id == 2) throw new CrashException("before the notification of checkpoint 2"); };
        Assert.False(job.Run());
        job.Completes = _ => true;
        job.BeforeNotify = _ => { };
        Assert.True(job.Run());
        Assert.Equal(new KafkaTransactionRecovery.Outcome(0, 2, 20, 0), job.Recoveries[^1]);
        Assert.Equal(job.Expected(), Committed(broker));
    }

    [Fact]
    public void A_handle_without_records_is_reported_as_unrecoverable()
    {
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 1, interval: 1);
        using var coordinator = job.NewCoordinator();
        coordinator.Recover([new KafkaTransactionHandle("sim-0-1", 4, 0, 3).ToBytes()]);
        Assert.Equal(new KafkaTransactionRecovery.Outcome(0, 0, 0, 1), coordinator.Recovered);
        Assert.Contains(job.Log, l => l.Contains("sim-0-1 epoch 4 was written without its records", StringComparison.Ordinal));
    }

    [Fact]
    public void After_a_scale_down_a_former_subtasks_pending_output_is_sent_once_under_its_own_recovery_id()
    {
        var broker = new FaultyTransactionalBroker();
        var job = new SinkJobSimulation(broker, records: 1, interval: 1);
        byte[] handle;
        var old = job.NewCoordinator(subtask: 2, parallelism: 3);
        old.Recover([]);
        foreach (var v in new[] { "x", "y" }) old.Write(new KafkaRecord(-1, null, Encoding.UTF8.GetBytes(v), KafkaRecord.NoTimestamp));
        handle = old.PrepareCommit(7).ToBytes(); // completes, then subtask 2's process dies
        using var scaled = job.NewCoordinator(subtask: 0, parallelism: 2);
        scaled.Recover([handle]);
        Assert.Contains("sim-2-0", scaled.FencedTransactionalIds);
        Assert.Equal(new KafkaTransactionRecovery.Outcome(0, 1, 2, 0), scaled.Recovered);
        Assert.Equal(["x", "y"], Committed(broker));
        Assert.Contains("init sim-2-cp7", broker.Calls);
    }

    [Fact]
    public void Handles_keep_their_records_and_marker_through_their_stored_form()
    {
        var handle = new KafkaTransactionHandle("p-0-1", 9, 0, 3)
        {
            RecordsKept = true,
            Marker = new KafkaCommitMarker("p.commits", 1, 42, "abc"),
            Records = [new KafkaRecord(-1, null, [1, 2], KafkaRecord.NoTimestamp), new KafkaRecord(3, [7], [], 1_700_000_000_000)],
        };
        var back = KafkaTransactionHandle.FromBytes(handle.ToBytes());
        Assert.Equal(handle with { Records = [] }, back with { Records = [] });
        Assert.Equal(2, back.Records.Count);
        Assert.Equal((-1, KafkaRecord.NoTimestamp), (back.Records[0].Partition, back.Records[0].Timestamp));
        Assert.Null(back.Records[0].Key);
        Assert.Equal([1, 2], back.Records[0].Value);
        Assert.Equal((3, 1_700_000_000_000L), (back.Records[1].Partition, back.Records[1].Timestamp));
        Assert.Equal([7], back.Records[1].Key!);
        Assert.Empty(back.Records[1].Value);
        // The JSON form of handles written before records were kept still reads.
        Assert.Equal(new KafkaTransactionHandle("p-0", 3), KafkaTransactionHandle.FromBytes("""{"transactional_id":"p-0","epoch":3}"""u8.ToArray()));
        var bytes = handle.ToBytes();
        Assert.Throws<FormatException>(() => KafkaTransactionHandle.FromBytes(bytes[..^1]));
        Assert.Throws<FormatException>(() => KafkaTransactionHandle.FromBytes([.. bytes, 0]));
        Assert.Throws<FormatException>(() => KafkaTransactionHandle.FromBytes("RFKT"u8.ToArray()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Crashes_at_random_broker_calls_never_lose_or_duplicate_committed_output(int poolSize)
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var rng = new Random(seed * 7 + poolSize);
            var broker = new FaultyTransactionalBroker();
            var job = new SinkJobSimulation(broker, records: 60, interval: 7, poolSize);
            var runs = 0;
            var done = false;
            while (!done)
            {
                Assert.True(++runs < 50, $"seed {seed}: no run finished");
                broker.NoCrash();
                if (runs < 6 && rng.Next(3) > 0) broker.CrashAt(rng.Next(0, 80), after: rng.Next(2) == 0);
                var lose = runs < 6 ? rng.Next(0, 12) : -1;
                job.Completes = _ => rng.Next(4) > 0;
                job.BeforeNotify = id => { if (lose == 0 || (lose > 0 && id % 12 == lose)) throw new CrashException($"before the notification of {id}"); };
                done = job.Run();
            }
            Assert.True(job.Expected().SequenceEqual(Committed(broker)),
                $"seed {seed}: committed {string.Join(",", Committed(broker))}\n{string.Join("\n", job.Log)}");
        }
    }
}
