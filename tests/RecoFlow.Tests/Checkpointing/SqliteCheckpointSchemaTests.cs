using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Microsoft.Data.Sqlite;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// The SQLite checkpoint store creates its tables itself and starts the plugin with <c>auto-initialize = off</c>: the
/// tables must be the ones the plugin would create, and configuring an existing store again changes nothing.
/// </summary>
public sealed class SqliteCheckpointSchemaTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sqlite-schema").FullName;

    [Fact]
    public async Task Tables_match_what_the_plugin_creates_with_auto_initialize()
    {
        var ours = Path.Combine(_dir, "ours.db");
        var config = CheckpointStore.Sqlite(ours);
        Assert.False(config.GetBoolean("akka.persistence.journal.sql.auto-initialize"));
        Assert.False(config.GetBoolean("akka.persistence.snapshot-store.sql.auto-initialize"));

        var plugins = Path.Combine(_dir, "plugin.db");
        var cs = $"Data Source={plugins};Pooling=False";
        var pluginConfig = ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal.plugin = "akka.persistence.journal.sql"
              snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
              journal.sql { connection-string = "{{cs}}", provider-name = "SQLite.MS", auto-initialize = on }
              snapshot-store.sql { connection-string = "{{cs}}", provider-name = "SQLite.MS", auto-initialize = on }
            }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
        using (var system = ActorSystem.Create("schema", pluginConfig))
        {
            var persistence = Persistence.Instance.Apply(system);
            // A load from each store waits for its initialisation (the tables) to finish.
            await persistence.SnapshotStoreFor(null).Ask<LoadSnapshotResult>(new LoadSnapshot("p", SnapshotSelectionCriteria.Latest, long.MaxValue), TimeSpan.FromSeconds(30));
            var journal = persistence.JournalFor(null);
            var probe = system.ActorOf(Props.Create(() => new ReplayProbe()));
            await probe.Ask<string>(journal, TimeSpan.FromSeconds(30));
            await system.Terminate();
        }
        SqliteConnection.ClearAllPools();
        Assert.Equal(Schema(plugins), Schema(ours));
    }

    [Fact]
    public void Configuring_an_existing_store_again_keeps_its_rows()
    {
        var file = Path.Combine(_dir, "again.db");
        CheckpointStore.Sqlite(file);
        using (var c = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO snapshot (persistence_id, sequence_number, created, snapshot) VALUES ('p', 1, 0, x'01')";
            cmd.ExecuteNonQuery();
        }
        CheckpointStore.Sqlite(file);
        using var check = new SqliteConnection($"Data Source={file};Pooling=False");
        check.Open();
        using var count = check.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM snapshot";
        Assert.Equal(1L, (long)count.ExecuteScalar()!);
    }

    /// <summary>Every table's columns (name, type, not null, primary key) and every index's columns, sorted.</summary>
    private static List<string> Schema(string file)
    {
        var rows = new List<string>();
        using var c = new SqliteConnection($"Data Source={file};Pooling=False");
        c.Open();
        var tables = new List<string>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
            using var r = cmd.ExecuteReader();
            while (r.Read()) tables.Add(r.GetString(0));
        }
        foreach (var t in tables)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT name, type, \"notnull\", pk FROM pragma_table_info('{t}')";
            using (var r = cmd.ExecuteReader())
                while (r.Read()) rows.Add($"{t}.{r.GetString(0)} {r.GetString(1).ToUpperInvariant()} notnull={r.GetInt64(2)} pk={r.GetInt64(3)}");
            cmd.CommandText = $"SELECT il.name, il.\"unique\", group_concat(ii.name) FROM pragma_index_list('{t}') il, pragma_index_info(il.name) ii GROUP BY il.name";
            using (var r = cmd.ExecuteReader())
                while (r.Read()) rows.Add($"{t} index {r.GetString(0)} unique={r.GetInt64(1)} ({r.GetString(2)})");
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    /// <summary>Asks a journal for the highest sequence number of an unknown id and answers the asker when it replied.</summary>
    private sealed class ReplayProbe : ReceiveActor
    {
        public ReplayProbe()
        {
            Receive<IActorRef>(journal =>
            {
                var asker = Sender;
                journal.Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, "p", Self));
                Become(() =>
                {
                    Receive<RecoverySuccess>(_ => asker.Tell("ok"));
                    Receive<ReplayMessagesFailure>(f => asker.Tell(new Status.Failure(f.Cause)));
                    ReceiveAny(_ => { });
                });
            });
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
