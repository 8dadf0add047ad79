namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Savepoints: self-contained copies of a checkpoint in a directory (<c>_metadata</c> plus one state file per task),
/// independent of the checkpoint store, to move a job to another store, version or parallelism.
/// </summary>
public static class Savepoints
{
    private const string MetadataFile = "_metadata";

    /// <summary>Writes a savepoint atomically (a temporary directory renamed at the end); returns its path.</summary>
    public static string Write(string parentDirectory, CheckpointRecord record, IReadOnlyList<(TaskStateRef Ref, byte[] Bytes)> tasks)
    {
        Directory.CreateDirectory(parentDirectory);
        var final = Path.Combine(parentDirectory, $"savepoint-{record.Id}-{DateTime.UtcNow:yyyyMMddHHmmss}");
        var temp = final + ".inprogress";
        Directory.CreateDirectory(temp);
        var saved = new CheckpointRecord
        {
            Id = record.Id, Status = record.Status, TriggeredAt = record.TriggeredAt, CompletedAt = record.CompletedAt,
            SizeBytes = record.SizeBytes, AlignmentMs = record.AlignmentMs, SyncMs = record.SyncMs, Attempt = record.Attempt,
        };
        foreach (var (r, bytes) in tasks)
        {
            var file = $"task-{Sanitize(r.VertexUid)}-{r.Subtask}.state";
            File.WriteAllBytes(Path.Combine(temp, file), bytes);
            saved.Tasks.Add(new TaskStateRef { VertexUid = r.VertexUid, Subtask = r.Subtask, Parallelism = r.Parallelism, PersistenceId = file, SizeBytes = bytes.Length });
        }
        File.WriteAllBytes(Path.Combine(temp, MetadataFile), saved.ToBytes());
        Directory.Move(temp, final);
        return final;
    }

    /// <summary>Reads a savepoint written by <see cref="Write"/>; errors name the savepoint and the broken part.</summary>
    public static (CheckpointRecord Record, IReadOnlyList<TaskStateSnapshot> Tasks) Read(string path, ISnapshotCipher? cipher = null)
    {
        var meta = Path.Combine(path, MetadataFile);
        if (!File.Exists(meta)) throw new FileNotFoundException($"savepoint {path}: no {MetadataFile} file (not a savepoint directory, or an unfinished one)");
        CheckpointRecord record;
        try
        {
            record = CheckpointRecord.FromBytes(File.ReadAllBytes(meta));
        }
        catch (MessagePack.MessagePackSerializationException e)
        {
            throw new CorruptSnapshotException(0, $"savepoint {path}: {MetadataFile} cannot be read: {e.Message}", e);
        }
        var tasks = record.Tasks.Select(t =>
        {
            var file = Path.Combine(path, t.PersistenceId);
            if (!File.Exists(file)) throw new CorruptSnapshotException(record.Id, $"savepoint {path}: state file {t.PersistenceId} is missing");
            return TaskStateSnapshot.FromBytes(File.ReadAllBytes(file), record.Id, t.PersistenceId, cipher);
        }).ToList();
        return (record, tasks);
    }

    private static string Sanitize(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
