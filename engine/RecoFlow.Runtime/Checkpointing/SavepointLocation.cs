namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// One savepoint's directory as a checkpoint storage (Flink: <c>FsCheckpointStorageLocation</c> of a savepoint target
/// directory): each task writes <c>task-UID-SUBTASK.state</c> into it itself, and the handle names that file relative
/// to the directory (so a savepoint can be moved). The directory must be reachable from every node that runs a task,
/// as the state directory is. While the savepoint is taken, the tasks write into <see cref="InProgressPath"/>; the job
/// master then writes <c>_metadata</c> and renames the directory to <see cref="FinalPath"/>
/// (<see cref="Complete"/>), so a savepoint directory without <c>.inprogress</c> is always whole. The files are
/// exactly those <see cref="Savepoints"/> wrote before tasks wrote their own state, so older savepoints still load.
/// </summary>
public sealed class SavepointLocation : ICheckpointStorage
{
    internal const string MetadataFile = "_metadata";
    private const string InProgressSuffix = ".inprogress";

    /// <param name="directory">The savepoint's own directory (the one holding <c>_metadata</c>, or its in-progress twin).</param>
    public SavepointLocation(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        DirectoryPath = directory;
    }

    /// <summary>The directory tasks write into and restores read from.</summary>
    public string DirectoryPath { get; }

    /// <summary>For a savepoint being taken: the directory it gets once complete.</summary>
    public string FinalPath => DirectoryPath.EndsWith(InProgressSuffix, StringComparison.Ordinal) ? DirectoryPath[..^InProgressSuffix.Length] : DirectoryPath;

    /// <summary>For a savepoint being taken: the directory the tasks write into.</summary>
    public string InProgressPath => DirectoryPath;

    /// <summary>
    /// The location of a new savepoint of checkpoint <paramref name="checkpointId"/> under <paramref name="parentDirectory"/>
    /// (Flink: <c>initializeLocationForSavepoint</c>): <c>savepoint-ID-TIMESTAMP.inprogress</c>, renamed by <see cref="Complete"/>.
    /// Nothing is created yet: the first task to write creates it.
    /// </summary>
    public static SavepointLocation ForNew(string parentDirectory, long checkpointId) =>
        new(Path.Combine(Path.GetFullPath(parentDirectory), $"savepoint-{checkpointId}-{DateTime.UtcNow:yyyyMMddHHmmss}{InProgressSuffix}"));

    /// <summary>The file a task's state goes to, relative to the savepoint directory (the handle's persistence id).</summary>
    public static string StateFileOf(string vertexUid, int subtask) => $"task-{Sanitize(vertexUid)}-{subtask}.state";

    public Task<TaskStateRef> WriteAsync(long checkpointId, TaskStateRef task, byte[] state, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(state);
        Directory.CreateDirectory(DirectoryPath);
        var file = StateFileOf(task.VertexUid, task.Subtask);
        File.WriteAllBytes(Path.Combine(DirectoryPath, file), state);
        return Task.FromResult(new TaskStateRef { VertexUid = task.VertexUid, Subtask = task.Subtask, Parallelism = task.Parallelism, PersistenceId = file, SizeBytes = state.Length, FullSizeBytes = state.Length });
    }

    public Task<byte[]> ReadAsync(long checkpointId, TaskStateRef handle, CancellationToken cancel = default) => Task.FromResult(Read(checkpointId, handle));

    /// <summary>The synchronous read (files); errors name the savepoint, the checkpoint and the task's file.</summary>
    public byte[] Read(long checkpointId, TaskStateRef handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var file = Path.Combine(DirectoryPath, handle.PersistenceId);
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CorruptSnapshotException(checkpointId, $"savepoint {DirectoryPath}: state file {handle.PersistenceId} (task {handle.VertexUid}/{handle.Subtask}) is missing", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CorruptSnapshotException(checkpointId, $"savepoint {DirectoryPath}: state file {handle.PersistenceId} (task {handle.VertexUid}/{handle.Subtask}) cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Completes the savepoint (Flink: the savepoint's <c>_metadata</c> written by the checkpoint coordinator): writes
    /// the record with <paramref name="handles"/> (as the tasks returned them from this location) as <c>_metadata</c>,
    /// then renames the in-progress directory to <see cref="FinalPath"/>. Returns the final path.
    /// </summary>
    public string Complete(CheckpointRecord record, IReadOnlyList<TaskStateRef> handles)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(handles);
        Directory.CreateDirectory(DirectoryPath);
        var saved = new CheckpointRecord
        {
            Id = record.Id, Status = record.Status, TriggeredAt = record.TriggeredAt, CompletedAt = record.CompletedAt,
            SizeBytes = record.SizeBytes, FullSizeBytes = record.FullSizeBytes, AlignmentMs = record.AlignmentMs, SyncMs = record.SyncMs, Attempt = record.Attempt,
        };
        saved.Tasks.AddRange(handles);
        File.WriteAllBytes(Path.Combine(DirectoryPath, MetadataFile), saved.ToBytes());
        if (FinalPath != DirectoryPath) Directory.Move(DirectoryPath, FinalPath);
        return FinalPath;
    }

    /// <summary>Deletes an unfinished savepoint's files (Flink: disposing the location of an aborted savepoint); best effort.</summary>
    public void DisposeInProgress()
    {
        if (FinalPath == DirectoryPath) return;
        try
        {
            if (Directory.Exists(DirectoryPath)) Directory.Delete(DirectoryPath, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Sanitize(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
