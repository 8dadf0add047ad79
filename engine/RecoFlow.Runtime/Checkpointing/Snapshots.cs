using MessagePack;
using RecoFlow.Api.Connectors;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// The state of one task at a checkpoint: its source splits (for source tasks) and the state of each chained operator,
/// by operator id, so a snapshot can be restored into a different chaining or parallelism.
/// </summary>
[MessagePackObject]
public sealed class TaskStateSnapshot
{
    /// <summary>v1: splits, operators, split watermarks. v2 adds <see cref="DeltaOf"/> (incremental checkpoints).</summary>
    public const int CurrentVersion = 2;

    [Key(0)] public int Version { get; set; } = CurrentVersion;
    [Key(1)] public long CheckpointId { get; set; }
    [Key(2)] public string VertexUid { get; set; } = "";
    [Key(3)] public int Subtask { get; set; }
    [Key(4)] public int Parallelism { get; set; }
    [Key(5)] public List<SourceSplit>? Splits { get; set; }
    [Key(6)] public Dictionary<string, OperatorSnapshot> Operators { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The watermark of each source split (source tasks only).</summary>
    [Key(7)] public Dictionary<string, long>? SplitWatermarks { get; set; }

    /// <summary>
    /// Incremental checkpoints: the checkpoint whose row of the same task this one builds on (its keyed state with
    /// <see cref="State.KeyedStateSnapshot.IsIncremental"/> holds only the changes since that row); null when the row
    /// is self-contained. Splits and operator state are always whole. Never set in a savepoint.
    /// </summary>
    [Key(8)] public long? DeltaOf { get; set; }

    /// <summary>The stored form: MessagePack, sealed by <paramref name="cipher"/> when given (encryption at rest).</summary>
    public byte[] ToBytes(ISnapshotCipher? cipher = null) => (cipher ?? PlainSnapshotCipher.Instance).Seal(MessagePackSerializer.Serialize(this, StateSerializer.Options));

    /// <summary>
    /// Reads a stored snapshot. Whatever the bytes (truncated, altered, not a snapshot at all), it returns a snapshot
    /// whose structure is complete and whose key groups match their checksums, or throws <see cref="CorruptSnapshotException"/>.
    /// </summary>
    public static TaskStateSnapshot FromBytes(byte[] bytes, long checkpointId, string persistenceId, ISnapshotCipher? cipher = null)
    {
        TaskStateSnapshot s;
        try
        {
            s = MessagePackSerializer.Deserialize<TaskStateSnapshot>((cipher ?? PlainSnapshotCipher.Instance).Open(bytes), StateSerializer.Options);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new CorruptSnapshotException(checkpointId, $"the state of task {persistenceId} cannot be decrypted: {e.Message}", e);
        }
        catch (MessagePackSerializationException e)
        {
            throw new CorruptSnapshotException(checkpointId, $"the state of task {persistenceId} cannot be read: {e.Message}", e);
        }
        if (s is null) throw new CorruptSnapshotException(checkpointId, $"the state of task {persistenceId} is empty (nil)");
        if (s.Version > CurrentVersion)
            throw new CorruptSnapshotException(checkpointId, $"the state of task {persistenceId} was written by a newer format (v{s.Version}); this engine reads up to v{CurrentVersion}");
        if (Malformed(s) is { } part)
            throw new CorruptSnapshotException(checkpointId, $"the state of task {persistenceId} is malformed: {part}");
        foreach (var (opId, op) in s.Operators)
            if (op.Keyed is not null)
                foreach (var kg in op.Keyed.KeyGroups)
                    if (kg.Verify() is { } bad)
                        throw new CorruptSnapshotException(checkpointId, $"key group {kg.KeyGroup} of operator {opId} (task {persistenceId}): state '{bad}' fails its checksum");
        return s;
    }

    /// <summary>The first part that MessagePack read as nil where the format has a value, or null when there is none.</summary>
    private static string? Malformed(TaskStateSnapshot s)
    {
        if (s.VertexUid is null) return "no vertex uid";
        if (s.Operators is null) return "no operator map";
        if (s.Splits is not null && s.Splits.Any(x => x is null)) return "a nil source split";
        foreach (var (opId, op) in s.Operators)
        {
            if (op is null) return $"operator {opId} is nil";
            if (op.Operator is { } list && (list.States is null || list.States.Values.Any(v => v is null || v.Any(b => b is null))))
                return $"the operator state of operator {opId} has a nil entry";
            if (op.Keyed is not { } keyed) continue;
            if (keyed.KeyGroups is null) return $"operator {opId} has no key group list";
            foreach (var kg in keyed.KeyGroups)
            {
                if (kg?.States is null) return $"operator {opId} has a nil key group";
                foreach (var (name, bytes) in kg.States)
                    if (bytes is null) return $"state '{name}' of key group {kg.KeyGroup} of operator {opId} is nil";
                if (kg.Deletions is not null)
                    foreach (var (name, bytes) in kg.Deletions)
                        if (bytes is null) return $"the deletions of state '{name}' of key group {kg.KeyGroup} of operator {opId} are nil";
            }
        }
        return null;
    }
}

/// <summary>A snapshot that cannot be used; the message names the checkpoint and the part that is broken.</summary>
public sealed class CorruptSnapshotException : Exception
{
    public CorruptSnapshotException(long checkpointId, string detail, Exception? inner = null)
        : base($"checkpoint {checkpointId}: {detail}", inner) => CheckpointId = checkpointId;

    public CorruptSnapshotException() { }
    public CorruptSnapshotException(string message) : base(message) { }
    public CorruptSnapshotException(string message, Exception inner) : base(message, inner) { }

    public long CheckpointId { get; }
}

/// <summary>Where the state of one task of a checkpoint lives.</summary>
[MessagePackObject]
public sealed class TaskStateRef
{
    [Key(0)] public string VertexUid { get; set; } = "";
    [Key(1)] public int Subtask { get; set; }
    [Key(2)] public int Parallelism { get; set; }
    [Key(3)] public string PersistenceId { get; set; } = "";

    /// <summary>The bytes this task wrote for the checkpoint.</summary>
    [Key(4)] public long SizeBytes { get; set; }

    /// <summary>The bytes a restore of this task reads: its own row and the earlier rows of <see cref="Chain"/> (0 in older records: same as <see cref="SizeBytes"/>).</summary>
    [Key(5)] public long FullSizeBytes { get; set; }

    /// <summary>Incremental checkpoints: the earlier checkpoints (oldest first) whose rows of this task a restore also reads; null when the state is self-contained.</summary>
    [Key(6)] public List<long>? Chain { get; set; }

    /// <summary>The bytes a restore reads, for records written before <see cref="FullSizeBytes"/> existed too.</summary>
    [IgnoreMember] public long RestoreSizeBytes => Math.Max(FullSizeBytes, SizeBytes);

    /// <summary>The oldest checkpoint whose row of this task a restore of checkpoint <paramref name="checkpointId"/> reads.</summary>
    public long OldestRowNeeded(long checkpointId) => Chain is { Count: > 0 } c ? Math.Min(c.Min(), checkpointId) : checkpointId;
}

public enum CheckpointStatus { Completed, Failed }

/// <summary>
/// One entry of a job's checkpoint history, as persisted in the coordinator's journal. A completed record is what
/// makes a checkpoint usable for recovery: task snapshots without it are ignored.
/// </summary>
[MessagePackObject]
public sealed class CheckpointRecord
{
    public const int CurrentVersion = 1;

    [Key(0)] public int Version { get; set; } = CurrentVersion;
    [Key(1)] public long Id { get; set; }
    [Key(2)] public CheckpointStatus Status { get; set; }
    [Key(3)] public DateTime TriggeredAt { get; set; }
    [Key(4)] public DateTime CompletedAt { get; set; }
    [Key(5)] public long SizeBytes { get; set; }
    [Key(6)] public double AlignmentMs { get; set; }
    [Key(7)] public bool IsFinal { get; set; }
    [Key(8)] public List<TaskStateRef> Tasks { get; set; } = [];
    [Key(9)] public string? FailureCause { get; set; }
    [Key(10)] public int Attempt { get; set; }
    [Key(11)] public double SyncMs { get; set; }

    /// <summary>The bytes a restore of this checkpoint reads (its rows and the earlier rows they build on); see <see cref="SizeBytes"/> for what it wrote.</summary>
    [Key(12)] public long FullSizeBytes { get; set; }

    [IgnoreMember] public double DurationMs => (CompletedAt - TriggeredAt).TotalMilliseconds;

    public byte[] ToBytes() => MessagePackSerializer.Serialize(this, StateSerializer.Options);
    public static CheckpointRecord FromBytes(byte[] bytes) => MessagePackSerializer.Deserialize<CheckpointRecord>(bytes, StateSerializer.Options);
}
