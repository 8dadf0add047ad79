using Akka.Actor;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// The incremental chain outside the keyed backend: when a task writes a full row (<see cref="IncrementalChainTracker"/>),
/// which rows retention keeps (<see cref="RetentionPlan"/>), and a chain read back from the checkpoint store (SQLite).
/// </summary>
public sealed class IncrementalChainTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chain").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* best effort */ }
    }

    private static TaskStateRef Ref(long size) => new() { VertexUid = "count", Subtask = 0, Parallelism = 1, PersistenceId = "pid", SizeBytes = size };

    /// <summary>Writes checkpoints 1..n through the tracker and returns which of them were full.</summary>
    private static List<long> FullRows(IncrementalChainTracker tracker, int fullEvery, int n, Func<long, long> size)
    {
        var full = new List<long>();
        for (long id = 1; id <= n; id++)
        {
            var deltaOf = tracker.NextDeltaOf(fullEvery);
            // A materialised row is written whole (the coordinator's asynchronous part merges the chain into it).
            if (deltaOf is not null && tracker.MaterialisationDue(fullEvery)) deltaOf = null;
            var handle = tracker.Handle(Ref(size(id)), deltaOf, size(id));
            if (deltaOf is null) full.Add(id);
            else Assert.Equal(deltaOf, handle.Chain![^1]);
            tracker.Written(id, handle, size(id));
        }
        return full;
    }

    [Fact]
    public void A_full_row_comes_every_full_every_checkpoints()
    {
        // Full rows of 1,000 bytes, deltas of 10.
        Assert.Equal([1, 6, 11, 16], FullRows(new IncrementalChainTracker(), fullEvery: 5, n: 18, id => id % 5 == 1 ? 1_000 : 10));
        // 1: every row is full (incremental off).
        Assert.Equal(Enumerable.Range(1, 4).Select(i => (long)i), FullRows(new IncrementalChainTracker(), fullEvery: 1, n: 4, _ => 100));
    }

    [Fact]
    public void A_full_row_comes_sooner_when_the_deltas_outgrow_it()
    {
        // Full rows of 1,000 bytes, deltas of 400: after two deltas (800) a third would exceed the full row.
        var tracker = new IncrementalChainTracker();
        var full = FullRows(tracker, fullEvery: 100, n: 9, id => id is 1 or 5 or 9 ? 1_000 : 400);
        Assert.Equal([1, 5, 9], full);
    }

    [Fact]
    public void The_handle_lists_the_chain_and_the_state_it_restores()
    {
        // Rows of 1,000 keyed bytes (full) and 10 / 20 (deltas), each with 500 bytes of operator state, written whole every time.
        var tracker = new IncrementalChainTracker();
        tracker.Written(7, tracker.Handle(Ref(1_500), null, 1_000), 1_000);
        tracker.Written(8, tracker.Handle(Ref(510), 7, 10), 10);
        var handle = tracker.Handle(Ref(520), tracker.NextDeltaOf(10), 20);
        Assert.Equal([7, 8], handle.Chain!);
        // The chain's keyed bytes (1,000 + 10 + 20) and this row's operator state (500), once.
        Assert.Equal(1_530, handle.FullSizeBytes);
        Assert.Equal(7, handle.OldestRowNeeded(9));

        // A failed write forgets the chain: the next row is full.
        tracker.Reset();
        Assert.Null(tracker.NextDeltaOf(10));
    }

    [Fact]
    public void A_chain_goes_on_from_a_restored_row()
    {
        // Restored row 12 builds on 9..11 and restores 1,300 bytes, 100 of them its own.
        var tracker = new IncrementalChainTracker();
        tracker.Continue(12, new TaskStateRef { PersistenceId = "pid", SizeBytes = 100, FullSizeBytes = 1_300, Chain = [9, 10, 11] });
        Assert.Equal(12, tracker.NextDeltaOf(fullEvery: 10));
        var handle = tracker.Handle(Ref(50), 12, 50);
        Assert.Equal([9, 10, 11, 12], handle.Chain!);
        Assert.Equal(1_300 + 50, handle.FullSizeBytes);
        // Four rows in the chain already: with chains of at most five rows, the next one closes it.
        Assert.False(tracker.MaterialisationDue(fullEvery: 5));
        tracker.Written(13, handle, 50);
        Assert.True(tracker.MaterialisationDue(fullEvery: 5));

        // A restored full row starts a chain of one.
        tracker.Continue(20, new TaskStateRef { PersistenceId = "pid", SizeBytes = 800 });
        Assert.Equal([20], tracker.Handle(Ref(10), tracker.NextDeltaOf(10), 10).Chain!);
    }

    private static CheckpointRecord Completed(long id, long? chainStart) => new()
    {
        Id = id,
        Status = CheckpointStatus.Completed,
        Tasks =
        {
            new TaskStateRef { PersistenceId = "a", Chain = chainStart is { } s ? [.. Enumerable.Range((int)s, (int)(id - s)).Select(i => (long)i)] : null },
            new TaskStateRef { PersistenceId = "b" },
        },
    };

    [Fact]
    public void Retention_keeps_every_row_a_retained_checkpoint_builds_on()
    {
        // Task a: full at 1, deltas 2..6; full again at 7, delta 8. Task b: always full.
        var history = new List<CheckpointRecord> { Completed(1, null) };
        for (long id = 2; id <= 6; id++) history.Add(Completed(id, 1));
        history.Add(Completed(7, null));
        history.Add(Completed(8, 7));

        // Retaining 4..6: a's chains start at 1, so rows 1..3 stay; b keeps only from 4.
        var kept = RetentionPlan.OldestRowsKept(history.Take(6).ToList(), retained: 3);
        Assert.Equal(1, kept["a"]);
        Assert.Equal(4, kept["b"]);

        // Retaining 6..8: checkpoint 6 still builds on row 1.
        kept = RetentionPlan.OldestRowsKept(history, retained: 3);
        Assert.Equal(1, kept["a"]);

        // Retaining 7..8 (and a third full one later): rows before 7 are no longer read.
        history.Add(Completed(9, 7));
        kept = RetentionPlan.OldestRowsKept(history, retained: 3);
        Assert.Equal(7, kept["a"]);
        Assert.Equal(7, kept["b"]);
    }

    private static KeyGroupSnapshot Group(int kg, bool delta, Dictionary<string, byte[]> states, Dictionary<string, byte[]>? deletions = null) =>
        new KeyGroupSnapshot { KeyGroup = kg, IsDelta = delta, States = states, Deletions = deletions }.Seal();

    private static byte[] Row(long id, long? deltaOf, KeyedStateSnapshot keyed, string opState) => new TaskStateSnapshot
    {
        CheckpointId = id, VertexUid = "count", Subtask = 0, Parallelism = 1, DeltaOf = deltaOf,
        Operators = { ["op"] = new OperatorSnapshot { Keyed = keyed, Operator = new OperatorStateSnapshot { States = { ["s"] = [[.. System.Text.Encoding.UTF8.GetBytes(opState)]] } } } },
    }.ToBytes();

    [Fact]
    public async Task A_chain_is_read_back_from_the_store_in_order_and_a_missing_base_names_it()
    {
        var system = ActorSystem.Create("chain-test", CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")));
        try
        {
            var storage = SnapshotStoreStorage.For(system, TimeSpan.FromSeconds(30));
            var task = new TaskStateRef { VertexUid = "count", Subtask = 0, Parallelism = 1, PersistenceId = "recoflow/job/task/count/0" };
            await storage.WriteAsync(3, task, Row(3, null, new KeyedStateSnapshot { KeyGroups = { Group(1, false, new() { ["v"] = [1] }), Group(2, false, new() { ["v"] = [2] }) } }, "three"));
            await storage.WriteAsync(4, task, Row(4, 3, new KeyedStateSnapshot { IsIncremental = true, KeyGroups = { Group(2, true, new() { ["v"] = [22] }, new() { ["v"] = [9] }) } }, "four"));
            await storage.WriteAsync(5, task, Row(5, 4, new KeyedStateSnapshot { IsIncremental = true, KeyGroups = { Group(1, true, new() { ["v"] = [11] }) } }, "five"));

            var read = await storage.ReadSnapshotAsync(5, task);
            Assert.Null(read.DeltaOf);
            var keyed = read.Operators["op"].Keyed!;
            Assert.False(keyed.IsIncremental);
            Assert.Equal([(1, false), (2, false), (2, true), (1, true)], keyed.KeyGroups.Select(g => (g.KeyGroup, g.IsDelta)));
            Assert.Equal("five", System.Text.Encoding.UTF8.GetString(read.Operators["op"].Operator!.States["s"][0]));

            // Row 4 gone: checkpoint 5 cannot be read, and the error names both checkpoints and the task.
            var snapshots = Akka.Persistence.Persistence.Instance.Apply(system).SnapshotStoreFor(null);
            await snapshots.Ask<object>(new Akka.Persistence.DeleteSnapshots(task.PersistenceId, new Akka.Persistence.SnapshotSelectionCriteria(4, DateTime.MaxValue, 4)), TimeSpan.FromSeconds(30));
            var e = await Assert.ThrowsAsync<CorruptSnapshotException>(() => storage.ReadSnapshotAsync(5, task));
            Assert.Equal(5, e.CheckpointId);
            Assert.Contains("checkpoint 4", e.Message);
            Assert.Contains(task.PersistenceId, e.Message);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
