using Akka.Actor;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>The checkpoint storage pieces on their own: the savepoint directory without an actor system, the checkpoint store over a SQLite file.</summary>
public sealed class CheckpointStorageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("storage").FullName;

    private static TaskStateRef Task(string uid, int subtask, int parallelism = 2, string persistenceId = "") =>
        new() { VertexUid = uid, Subtask = subtask, Parallelism = parallelism, PersistenceId = persistenceId };

    private static byte[] State(long checkpointId, string uid, int subtask) =>
        new TaskStateSnapshot { CheckpointId = checkpointId, VertexUid = uid, Subtask = subtask, Parallelism = 2, Operators = { ["op"] = new OperatorSnapshot() } }.ToBytes();

    [Fact]
    public async Task Savepoint_location_round_trips_write_handle_read()
    {
        var location = SavepointLocation.ForNew(_dir, 4);
        var bytes = State(4, "count", 1);
        var handle = await location.WriteAsync(4, Task("count", 1), bytes);
        Assert.Equal("task-count-1.state", handle.PersistenceId);
        Assert.Equal(bytes.Length, handle.SizeBytes);
        Assert.Equal(("count", 1, 2), (handle.VertexUid, handle.Subtask, handle.Parallelism));
        Assert.Equal(bytes, await location.ReadAsync(4, handle));
        var snapshot = await location.ReadSnapshotAsync(4, handle);
        Assert.Equal(("count", 1), (snapshot.VertexUid, snapshot.Subtask));
    }

    [Fact]
    public async Task Savepoint_written_by_tasks_through_the_location_is_read_by_the_savepoint_reader()
    {
        var location = SavepointLocation.ForNew(_dir, 9);
        Assert.EndsWith(".inprogress", location.InProgressPath);
        var handles = new List<TaskStateRef>();
        foreach (var (uid, subtask) in new[] { ("source/numbers", 0), ("count", 0), ("count", 1) })
            handles.Add(await location.WriteAsync(9, Task(uid, subtask), State(9, uid, subtask)));
        var record = new CheckpointRecord { Id = 9, Status = CheckpointStatus.Completed, SizeBytes = handles.Sum(h => h.SizeBytes) };
        var path = location.Complete(record, handles);

        Assert.Equal(location.FinalPath, path);
        Assert.False(Directory.Exists(location.InProgressPath));
        Assert.Matches(@"savepoint-9-\d{14}$", path);
        Assert.Equal(["_metadata", "task-count-0.state", "task-count-1.state", "task-source_numbers-0.state"],
            Directory.GetFiles(path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var (read, tasks) = Savepoints.Read(path);
        Assert.Equal(9, read.Id);
        Assert.Equal(handles.Select(h => h.PersistenceId), read.Tasks.Select(t => t.PersistenceId));
        Assert.Equal([("source/numbers", 0), ("count", 0), ("count", 1)], tasks.Select(t => (t.VertexUid, t.Subtask)));
    }

    [Fact]
    public void A_savepoint_in_the_format_written_before_task_side_writes_still_loads()
    {
        // The layout the job master wrote itself before tasks wrote their own state.
        var path = Directory.CreateDirectory(Path.Combine(_dir, "savepoint-3-20260101000000")).FullName;
        var bytes = State(3, "map-1", 0);
        File.WriteAllBytes(Path.Combine(path, "task-map-1-0.state"), bytes);
        var record = new CheckpointRecord { Id = 3, Status = CheckpointStatus.Completed };
        record.Tasks.Add(new TaskStateRef { VertexUid = "map-1", Subtask = 0, Parallelism = 2, PersistenceId = "task-map-1-0.state", SizeBytes = bytes.Length });
        File.WriteAllBytes(Path.Combine(path, "_metadata"), record.ToBytes());

        var (read, tasks) = Savepoints.Read(path);
        Assert.Equal(3, read.Id);
        Assert.Equal("map-1", Assert.Single(tasks).VertexUid);
    }

    [Fact]
    public async Task A_missing_savepoint_state_names_the_checkpoint_and_the_task()
    {
        var location = SavepointLocation.ForNew(_dir, 7);
        var handle = await location.WriteAsync(7, Task("count", 1), State(7, "count", 1));
        File.Delete(Path.Combine(location.InProgressPath, handle.PersistenceId));
        var e = await Assert.ThrowsAsync<CorruptSnapshotException>(() => location.ReadAsync(7, handle));
        Assert.Equal(7, e.CheckpointId);
        Assert.Contains("checkpoint 7", e.Message);
        Assert.Contains("task-count-1.state", e.Message);
        Assert.Contains("count/1", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public async Task A_corrupt_savepoint_state_names_the_checkpoint_and_the_task()
    {
        var location = SavepointLocation.ForNew(_dir, 8);
        var handle = await location.WriteAsync(8, Task("count", 0), State(8, "count", 0));
        await File.WriteAllBytesAsync(Path.Combine(location.InProgressPath, handle.PersistenceId), [0xc1, 0x00, 0x17]);
        var e = await Assert.ThrowsAsync<CorruptSnapshotException>(() => location.ReadSnapshotAsync(8, handle));
        Assert.Contains("checkpoint 8", e.Message);
        Assert.Contains("task-count-0.state", e.Message);
    }

    [Fact]
    public async Task Disposing_an_unfinished_savepoint_removes_its_directory_only()
    {
        var location = SavepointLocation.ForNew(_dir, 5);
        await location.WriteAsync(5, Task("count", 0), State(5, "count", 0));
        location.DisposeInProgress();
        Assert.False(Directory.Exists(location.InProgressPath));
        Assert.True(Directory.Exists(_dir));
    }

    [Fact]
    public async Task Checkpoint_store_round_trips_write_handle_read_and_names_a_missing_state()
    {
        var system = ActorSystem.Create("storage-test", CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")));
        try
        {
            var storage = SnapshotStoreStorage.For(system, TimeSpan.FromSeconds(30));
            const string pid = "recoflow/job/task/count/1";
            var bytes = State(12, "count", 1);
            var handle = await storage.WriteAsync(12, Task("count", 1, persistenceId: pid), bytes);
            Assert.Equal((pid, (long)bytes.Length), (handle.PersistenceId, handle.SizeBytes));
            Assert.Equal(bytes, await storage.ReadAsync(12, handle));
            Assert.Equal(12, (await storage.ReadSnapshotAsync(12, handle)).CheckpointId);

            // Checkpoint 13 of the task was never written: the read refuses, naming the checkpoint and the task.
            var e = await Assert.ThrowsAsync<CorruptSnapshotException>(() => storage.ReadAsync(13, handle));
            Assert.Equal(13, e.CheckpointId);
            Assert.Contains(pid, e.Message);
            Assert.Contains("missing", e.Message);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void Messages_to_the_job_master_carry_state_handles_never_state_bytes()
    {
        // Remote frames are limited (4 MiB): state bytes in these messages would bound the state a remote task may have.
        foreach (var type in new[] { typeof(AcknowledgeCheckpoint), typeof(TaskFinished), typeof(TriggerCheckpoint), typeof(TriggerFinalCheckpoint), typeof(global::RecoFlow.Runtime.Channels.BarrierMessage) })
            Assert.DoesNotContain(type.GetProperties(), p => p.PropertyType == typeof(byte[]));
        Assert.Equal(typeof(TaskStateRef), typeof(AcknowledgeCheckpoint).GetProperty(nameof(AcknowledgeCheckpoint.State))!.PropertyType);
        Assert.Equal(typeof(TaskStateRef), typeof(AcknowledgeCheckpoint).GetProperty(nameof(AcknowledgeCheckpoint.Savepoint))!.PropertyType);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
