using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Microsoft.Data.Sqlite;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>
/// Configuration of the checkpoint store: Akka.Persistence.Sql with SQLite (a file, the embedded default) or
/// PostgreSQL. Task snapshots go to the snapshot store (one row per task and checkpoint); the coordinator's history of
/// completed checkpoints goes to the journal.
/// </summary>
public static class CheckpointStore
{
    /// <summary>The environment variable that overrides the connection string of the configured store.</summary>
    public const string ConnectionEnvironmentVariable = "RECOFLOW_PERSISTENCE_CONNECTION";

    /// <summary>
    /// Store configuration for a SQLite file, in WAL mode, its tables created here with plain SQL
    /// (<see cref="SqliteCheckpointSchema"/>) so the plugin starts without building them (<c>auto-initialize = off</c>).
    /// </summary>
    public static Config Sqlite(string file)
    {
        var full = Path.GetFullPath(file);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var connection = $"Data Source={full};Pooling=True";
        // WAL lets readers and the writer proceed together; there is no connection-string keyword for it.
        using (var c = new SqliteConnection(connection))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL;";
            cmd.ExecuteNonQuery();
            SqliteCheckpointSchema.Ensure(c);
        }
        return Sql(connection, "SQLite.MS", autoInitialize: false);
    }

    /// <summary>Store configuration for PostgreSQL.</summary>
    public static Config Postgres(string connectionString) => Sql(connectionString, "PostgreSQL.15");

    private static Config Sql(string connectionString, string provider, bool autoInitialize = true)
    {
        var init = autoInitialize ? "on" : "off";
        var cs = connectionString.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal.plugin = "akka.persistence.journal.sql"
              snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
              journal.sql { connection-string = "{{cs}}", provider-name = "{{provider}}", auto-initialize = {{init}} }
              snapshot-store.sql { connection-string = "{{cs}}", provider-name = "{{provider}}", auto-initialize = {{init}} }
            }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>
    /// Completes a store configuration read from a file (such as <c>cluster-config/persistence-postgres.conf</c>):
    /// applies <see cref="ConnectionEnvironmentVariable"/> and the plugin's defaults.
    /// </summary>
    public static Config FromFile(Config config)
    {
        var env = Environment.GetEnvironmentVariable(ConnectionEnvironmentVariable);
        if (!string.IsNullOrEmpty(env))
        {
            var provider = config.GetString("akka.persistence.journal.sql.provider-name", "");
            return (provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase) ? Sqlite(env.Replace("Data Source=", "", StringComparison.OrdinalIgnoreCase)) : Sql(env, provider.Length > 0 ? provider : "PostgreSQL.15"))
                .WithFallback(config);
        }
        return config.WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>True when the configuration names a journal and a snapshot store.</summary>
    public static bool IsConfigured(Config config) =>
        !string.IsNullOrEmpty(config.GetString("akka.persistence.journal.plugin", "")) &&
        !string.IsNullOrEmpty(config.GetString("akka.persistence.snapshot-store.plugin", ""));
}

internal sealed record GetHistory;
internal sealed record CheckpointHistory(IReadOnlyList<CheckpointRecord> Records);
internal sealed record PersistRecord(CheckpointRecord Record);
internal sealed record RecordPersisted(CheckpointRecord Record);
internal sealed record LoadCheckpoint(CheckpointRecord Record);
internal sealed record CheckpointLoaded(CheckpointRecord Record, IReadOnlyList<TaskStateSnapshot> Tasks);
internal sealed record CheckpointLoadFailed(CheckpointRecord Record, Exception Cause);

/// <summary>
/// The durable side of a job's checkpoint coordinator: the history of checkpoints in the journal (one event per
/// checkpoint, completed or failed), the loading of a checkpoint's task snapshots (which the tasks wrote themselves
/// through <see cref="SnapshotStoreStorage"/>), and deletion of what is no longer retained.
/// </summary>
internal sealed class CheckpointStoreActor : UntypedPersistentActor
{
    private const int HistoryKept = 500;
    private readonly string _jobKey;
    private readonly int _retained;
    private readonly TimeSpan _ioTimeout;
    private readonly List<CheckpointRecord> _history = [];
    private IActorRef _snapshots = ActorRefs.Nobody;
    private readonly ISnapshotCipher _cipher = SnapshotEncryption.For(Context.System);

    public CheckpointStoreActor(string jobKey, int retained, TimeSpan ioTimeout)
    {
        _jobKey = jobKey;
        _retained = retained;
        _ioTimeout = ioTimeout;
    }

    public static Props Props(string jobKey, int retained, TimeSpan ioTimeout) =>
        Akka.Actor.Props.Create(() => new CheckpointStoreActor(jobKey, retained, ioTimeout));

    public override string PersistenceId => HistoryPersistenceId(_jobKey);

    public static string HistoryPersistenceId(string jobKey) => $"recoflow/{jobKey}/checkpoints";

    public static string TaskPersistenceId(string jobKey, string vertexUid, int subtask) => $"recoflow/{jobKey}/task/{vertexUid}/{subtask}";

    protected override void PreStart()
    {
        _snapshots = Persistence.Instance.Apply(Context.System).SnapshotStoreFor(null);
        base.PreStart();
    }

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case byte[] bytes:
                Add(CheckpointRecord.FromBytes(bytes));
                break;
            case SnapshotOffer { Snapshot: byte[] history }:
                _history.Clear();
                foreach (var b in MessagePack.MessagePackSerializer.Deserialize<byte[][]>(history))
                    _history.Add(CheckpointRecord.FromBytes(b));
                break;
        }
    }

    private void Add(CheckpointRecord r)
    {
        _history.Add(r);
        if (_history.Count > HistoryKept) _history.RemoveAt(0);
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case GetHistory:
                Sender.Tell(new CheckpointHistory(_history.ToList()));
                break;
            case PersistRecord p:
            {
                var replyTo = Sender;
                Persist(p.Record.ToBytes(), _ =>
                {
                    Add(p.Record);
                    replyTo.Tell(new RecordPersisted(p.Record));
                    if (p.Record.Status == CheckpointStatus.Completed) Trim();
                    if (LastSequenceNr % 100 == 0)
                        SaveSnapshot(MessagePack.MessagePackSerializer.Serialize(_history.Select(h => h.ToBytes()).ToArray()));
                });
                break;
            }
            case LoadCheckpoint l:
                LoadAsync(l.Record).PipeTo(Sender);
                break;
            case SaveSnapshotSuccess or SaveSnapshotFailure or DeleteSnapshotsSuccess or DeleteSnapshotsFailure:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Deletes the task rows that no retained checkpoint reads: per task, every row older than the oldest row a
    /// retained checkpoint's chain starts at (incremental checkpoints share earlier rows; a full row starts a chain),
    /// failed checkpoints' leftovers included.
    /// </summary>
    private void Trim()
    {
        var completed = _history.Where(h => h.Status == CheckpointStatus.Completed).ToList();
        if (completed.Count <= _retained) return;
        foreach (var (pid, keepFrom) in RetentionPlan.OldestRowsKept(completed, _retained))
            _snapshots.Tell(new DeleteSnapshots(pid, new SnapshotSelectionCriteria(keepFrom - 1)), Self);
    }

    private async Task<object> LoadAsync(CheckpointRecord record)
    {
        try
        {
            var storage = new SnapshotStoreStorage(_snapshots, _ioTimeout);
            var loads = record.Tasks.Select(t => storage.ReadSnapshotAsync(record.Id, t, _cipher)).ToList();
            return new CheckpointLoaded(record, await Task.WhenAll(loads));
        }
        catch (Exception e)
        {
            return new CheckpointLoadFailed(record, e);
        }
    }
}
