namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Savepoints: self-contained copies of a checkpoint in a directory (<c>_metadata</c> plus one state file per task),
/// independent of the checkpoint store, to move a job to another store, version or parallelism. In a running job the
/// tasks write their files through a <see cref="SavepointLocation"/> and the job master completes it; these helpers
/// write and read a whole savepoint at once (tools, tests, restores).
/// </summary>
public static class Savepoints
{
    /// <summary>Writes a savepoint atomically (a temporary directory renamed at the end); returns its path.</summary>
    public static string Write(string parentDirectory, CheckpointRecord record, IReadOnlyList<(TaskStateRef Ref, byte[] Bytes)> tasks)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(tasks);
        var location = SavepointLocation.ForNew(parentDirectory, record.Id);
        Directory.CreateDirectory(location.InProgressPath);
        var handles = tasks.Select(t => location.WriteAsync(record.Id, t.Ref, t.Bytes).GetAwaiter().GetResult()).ToList();
        return location.Complete(record, handles);
    }

    /// <summary>Reads a savepoint written by <see cref="Write"/> or by a job's tasks; errors name the savepoint and the broken part.</summary>
    public static (CheckpointRecord Record, IReadOnlyList<TaskStateSnapshot> Tasks) Read(string path, ISnapshotCipher? cipher = null)
    {
        var meta = Path.Combine(path, SavepointLocation.MetadataFile);
        if (!File.Exists(meta)) throw new FileNotFoundException($"savepoint {path}: no {SavepointLocation.MetadataFile} file (not a savepoint directory, or an unfinished one)");
        CheckpointRecord record;
        try
        {
            record = CheckpointRecord.FromBytes(File.ReadAllBytes(meta));
        }
        catch (MessagePack.MessagePackSerializationException e)
        {
            throw new CorruptSnapshotException(0, $"savepoint {path}: {SavepointLocation.MetadataFile} cannot be read: {e.Message}", e);
        }
        var location = new SavepointLocation(path);
        var tasks = record.Tasks.Select(t => TaskStateSnapshot.FromBytes(location.Read(record.Id, t), record.Id, t.PersistenceId, cipher)).ToList();
        return (record, tasks);
    }
}
