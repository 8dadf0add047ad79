using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Sql;

public enum SqlDialect { Sqlite, Postgres }

/// <summary>A column of a SQL sink's table: its name, SQL type and how to get its value from a record.</summary>
public sealed record SqlColumn<T>(string Name, string SqlType, Func<T, object?> Value);

/// <summary>
/// Writes records as rows of a table in PostgreSQL or SQLite (the table is created if missing).
/// <list type="bullet">
/// <item>With checkpoints (exactly once): rows written between two barriers are staged, on the barrier, in
/// <c>TABLE__rf_staging</c> under the checkpoint's id; when the checkpoint completes one transaction moves them into
/// the table and records the commit in <c>TABLE__rf_commits</c>, so the rows of checkpoint n appear at once, and a
/// commit repeated after a failure is recognised and skipped.</item>
/// <item>Without checkpoints: rows are inserted in a transaction per flush (at least once after failures).</item>
/// </list>
/// </summary>
public sealed class SqlSink<T> : ISink<T>
{
    private readonly SqlDialect _dialect;
    private readonly string _connectionString;
    private readonly string _table;
    private readonly IReadOnlyList<SqlColumn<T>> _columns;

    public SqlSink(SqlDialect dialect, string connectionString, string table, IReadOnlyList<SqlColumn<T>> columns)
    {
        if (!IsIdentifier(table)) throw new ArgumentException($"'{table}' is not a plain SQL identifier (letters, digits, underscores)", nameof(table));
        if (columns.Count == 0) throw new ArgumentException("a SQL sink needs at least one column", nameof(columns));
        foreach (var c in columns)
            if (!IsIdentifier(c.Name)) throw new ArgumentException($"column '{c.Name}' is not a plain SQL identifier", nameof(columns));
        _dialect = dialect;
        _connectionString = connectionString;
        _table = table;
        _columns = columns;
    }

    private static bool IsIdentifier(string s) => s.Length > 0 && !char.IsDigit(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    public ISinkWriter<T> CreateWriter(SinkContext context) => new Writer(this, context.OperatorId, context.SubtaskIndex, context.CheckpointingEnabled);

    public string Describe() => $"{_dialect} table {_table}";

    private DbConnection Open()
    {
        DbConnection c = _dialect == SqlDialect.Postgres ? new NpgsqlConnection(_connectionString) : new SqliteConnection(_connectionString);
        c.Open();
        if (_dialect == SqlDialect.Sqlite)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA busy_timeout=10000;";
            cmd.ExecuteNonQuery();
        }
        return c;
    }

    private sealed class Writer : ITwoPhaseCommitSinkWriter<T>
    {
        private readonly SqlSink<T> _sink;
        private readonly string _sinkId;
        private readonly int _subtask;
        private readonly bool _transactional;
        private readonly DbConnection _connection;
        private readonly List<object?[]> _buffer = [];
        private readonly string _columnList;
        private readonly string _staging;
        private readonly string _commits;

        public Writer(SqlSink<T> sink, string sinkId, int subtask, bool transactional)
        {
            _sink = sink;
            _sinkId = sinkId;
            _subtask = subtask;
            _transactional = transactional;
            _staging = sink._table + "__rf_staging";
            _commits = sink._table + "__rf_commits";
            _columnList = string.Join(", ", sink._columns.Select(c => c.Name));
            _connection = sink.Open();
            var columns = string.Join(", ", sink._columns.Select(c => $"{c.Name} {c.SqlType}"));
            // Subtasks create the tables concurrently: PostgreSQL's CREATE TABLE IF NOT EXISTS can still collide, so
            // the DDL runs under a transaction-scoped advisory lock there (SQLite serialises writers itself).
            using (var ddl = _connection.BeginTransaction())
            {
                if (sink._dialect == SqlDialect.Postgres) Execute(ddl, "SELECT pg_advisory_xact_lock(7201013)");
                Execute(ddl, $"CREATE TABLE IF NOT EXISTS {sink._table} ({columns})");
                if (transactional)
                {
                    Execute(ddl, $"CREATE TABLE IF NOT EXISTS {_staging} (rf_sink VARCHAR(200) NOT NULL, rf_subtask INTEGER NOT NULL, rf_checkpoint BIGINT NOT NULL, {columns})");
                    Execute(ddl, $"CREATE TABLE IF NOT EXISTS {_commits} (rf_sink VARCHAR(200) NOT NULL, rf_subtask INTEGER NOT NULL, rf_checkpoint BIGINT NOT NULL, PRIMARY KEY (rf_sink, rf_subtask, rf_checkpoint))");
                }
                ddl.Commit();
            }
        }

        public void Write(T value, long timestamp)
        {
            var row = new object?[_sink._columns.Count];
            for (var i = 0; i < row.Length; i++) row[i] = _sink._columns[i].Value(value);
            _buffer.Add(row);
        }

        public void Flush(bool endOfInput)
        {
            if (_transactional || _buffer.Count == 0) return;
            using var tx = _connection.BeginTransaction();
            Insert(tx, _sink._table, null);
            tx.Commit();
            _buffer.Clear();
        }

        public byte[] PrepareCommit(long checkpointId)
        {
            if (_buffer.Count == 0) return [];
            if (!_transactional)
            {
                // Without checkpoints there are no staging tables: the rows go straight to the table.
                Flush(endOfInput: false);
                return [];
            }
            using (var tx = _connection.BeginTransaction())
            {
                Insert(tx, _staging, checkpointId);
                tx.Commit();
            }
            _buffer.Clear();
            return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{_subtask}:{checkpointId}"));
        }

        private void Insert(DbTransaction tx, string table, long? checkpointId)
        {
            using var cmd = _connection.CreateCommand();
            cmd.Transaction = tx;
            var names = checkpointId is null ? _columnList : "rf_sink, rf_subtask, rf_checkpoint, " + _columnList;
            var values = string.Join(", ", _sink._columns.Select((_, i) => $"@c{i}"));
            if (checkpointId is not null) values = "@sink, @subtask, @checkpoint, " + values;
            cmd.CommandText = $"INSERT INTO {table} ({names}) VALUES ({values})";
            if (checkpointId is not null)
            {
                Add(cmd, "@sink", _sinkId);
                Add(cmd, "@subtask", _subtask);
                Add(cmd, "@checkpoint", checkpointId.Value);
            }
            var parameters = _sink._columns.Select((_, i) => Add(cmd, $"@c{i}", null)).ToArray();
            cmd.Prepare();
            foreach (var row in _buffer)
            {
                for (var i = 0; i < row.Length; i++) parameters[i].Value = row[i] ?? DBNull.Value;
                cmd.ExecuteNonQuery();
            }
        }

        private static DbParameter Add(DbCommand cmd, string name, object? value)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
            return p;
        }

        public void Commit(long checkpointId, IReadOnlyList<byte[]> handles)
        {
            foreach (var h in handles) CommitOne(h);
        }

        private void CommitOne(byte[] handle)
        {
            if (handle.Length == 0) return;
            var parts = Encoding.UTF8.GetString(handle).Split(':');
            var subtask = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var checkpoint = long.Parse(parts[1], CultureInfo.InvariantCulture);
            using var tx = _connection.BeginTransaction();
            var where = "rf_sink = @sink AND rf_subtask = @subtask AND rf_checkpoint = @checkpoint";
            using var check = Command(tx, $"SELECT COUNT(*) FROM {_commits} WHERE {where}", subtask, checkpoint);
            if (Convert.ToInt64(check.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
            {
                using var move = Command(tx, $"INSERT INTO {_sink._table} ({_columnList}) SELECT {_columnList} FROM {_staging} WHERE {where}", subtask, checkpoint);
                move.ExecuteNonQuery();
                using var record = Command(tx, $"INSERT INTO {_commits} (rf_sink, rf_subtask, rf_checkpoint) VALUES (@sink, @subtask, @checkpoint)", subtask, checkpoint);
                record.ExecuteNonQuery();
            }
            using var clean = Command(tx, $"DELETE FROM {_staging} WHERE {where}", subtask, checkpoint);
            clean.ExecuteNonQuery();
            try
            {
                tx.Commit();
            }
            catch (DbException) when (IsCommitted(subtask, checkpoint))
            {
                // Another subtask committed the same handle at the same moment (after a rescale every subtask sees every handle).
            }
        }

        private bool IsCommitted(int subtask, long checkpoint)
        {
            using var cmd = Command(null, $"SELECT COUNT(*) FROM {_commits} WHERE rf_sink = @sink AND rf_subtask = @subtask AND rf_checkpoint = @checkpoint", subtask, checkpoint);
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
        }

        private DbCommand Command(DbTransaction? tx, string sql, int subtask, long checkpoint)
        {
            var cmd = _connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            Add(cmd, "@sink", _sinkId);
            Add(cmd, "@subtask", subtask);
            Add(cmd, "@checkpoint", checkpoint);
            return cmd;
        }

        /// <summary>Commits the restored handles, then drops this subtask's rows staged for checkpoints that never completed.</summary>
        public void Recover(IReadOnlyList<byte[]> committable)
        {
            foreach (var h in committable) CommitOne(h);
            if (!_transactional) return; // no staging table without checkpoints
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = $"DELETE FROM {_staging} WHERE rf_sink = @sink AND rf_subtask = @subtask";
            Add(cmd, "@sink", _sinkId);
            Add(cmd, "@subtask", _subtask);
            cmd.ExecuteNonQuery();
        }

        private void Execute(DbTransaction? tx, string sql)
        {
            using var cmd = _connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }

        public void Dispose() => _connection.Dispose();
    }
}
