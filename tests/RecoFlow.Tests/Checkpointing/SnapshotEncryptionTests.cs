using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.TestKit;
using RecoFlow.TestSupport;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// Encryption at rest, end to end: a keyed job whose state holds user ids checkpoints into a real store; the raw
/// snapshot rows read straight from the database hold no user id with a key configured (and do without one); the
/// wrong key refuses to restore, naming the checkpoint; the right key restores every count.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SnapshotEncryptionTests : IDisposable
{
    private const int Users = 40;
    private const int Records = 24_000;
    private readonly string _dir = Directory.CreateTempSubdirectory("ckpt-enc").FullName;

    // Distinctive ids: found in a snapshot only if that snapshot holds them in plain text.
    private readonly string[] _users = Enumerable.Range(0, Users).Select(i => $"privacy-probe-{i:D2}-{Guid.NewGuid():N}").ToArray();

    private static readonly string KeyA = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string KeyB = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>A running count per user (keyed state: the user id is the key and part of the value), paced so it is still running after a few checkpoints.</summary>
    private (StreamJob Job, CollectSink<(string User, long Count)> Sink) CountPerUser()
    {
        var job = new StreamJob("encrypted-counts").WithDefaultParallelism(2);
        var sink = new CollectSink<(string User, long Count)>();
        var users = _users;
        job.FromSource(new RateLimitedSource<int>(new CollectionSource<int>(Enumerable.Range(0, Records).ToList(), splits: 2), 6_000), WatermarkStrategy<int>.NoWatermarks(), "clicks")
            .Map(i => (User: users[i % Users], Count: 1L), "user").Uid("user")
            .KeyBy(t => t.User)
            .Reduce((a, b) => (a.User, a.Count + b.Count), "count per user").Uid("count")
            .SinkTo(sink, "counts").Uid("counts");
        return (job, sink);
    }

    private static Config Encryption(string key) => ConfigurationFactory.ParseString($$"""
        recoflow.checkpoints.encryption { key-id = "k1", keys { k1 = "{{key}}" } }
        """);

    private static readonly JobRunOptions Options = new() { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100), Retained = 3 } };

    private async Task<Config> StoreAsync(string dialect, string name) => dialect == "postgres"
        ? CheckpointStore.Postgres(await TestDatabases.NewPostgresDatabaseAsync())
        : CheckpointStore.Sqlite(Path.Combine(_dir, name + ".db"));

    private static DbConnection Connect(Config store)
    {
        var cs = store.GetString("akka.persistence.snapshot-store.sql.connection-string");
        var provider = store.GetString("akka.persistence.snapshot-store.sql.provider-name");
        return provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase) ? new SqliteConnection(cs) : new Npgsql.NpgsqlConnection(cs);
    }

    /// <summary>Every task snapshot row of the store, as stored.</summary>
    private static async Task<List<(string Pid, long Seq, byte[] Bytes)>> RawSnapshotsAsync(Config store)
    {
        await using var c = Connect(store);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT persistence_id, sequence_number, snapshot FROM snapshot";
        var rows = new List<(string, long, byte[])>();
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) rows.Add((r.GetString(0), r.GetInt64(1), (byte[])r[2]));
        return rows;
    }

    /// <summary>
    /// Runs the job until every user is in its state and two checkpoints completed after that (the second was
    /// triggered after every user had been counted, so it holds them all), then cancels it (as a crash would leave the store).
    /// </summary>
    private async Task RunAndStopMidwayAsync(Config store)
    {
        await using var runtime = LocalRuntime.Start(store);
        var (job, sink) = CountPerUser();
        var client = runtime.Submit(job.Build(), Options);
        int Completed() => client.Metrics.Checkpoints.Count(c => c.Status == CheckpointStatus.Completed);
        while (sink.Items.Select(x => x.User).Distinct().Count() < Users && !client.Completion.IsCompleted) await Task.Delay(20);
        var seen = Completed();
        while (Completed() < seen + 2 && !client.Completion.IsCompleted) await Task.Delay(20);
        client.Cancel();
        var result = await client.Completion.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(result.State == JobState.Canceled, $"the first run should still have been running: {result.State} {result.Failure}");
    }

    private List<string> UsersIn(IEnumerable<(string Pid, long Seq, byte[] Bytes)> rows) =>
        _users.Where(u => rows.Any(r => r.Bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(u)) >= 0)).ToList();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Snapshot_rows_hold_no_user_id_with_a_key_and_only_the_right_key_restores(string dialect)
    {
        // Without a key the rows hold the user ids in plain text: the check below can fail.
        var plainStore = await StoreAsync(dialect, "plain");
        await RunAndStopMidwayAsync(plainStore);
        var plainRows = await RawSnapshotsAsync(plainStore);
        Assert.NotEmpty(plainRows);
        Assert.Equal(Users, UsersIn(plainRows).Count);

        // With a key: the same job, no user id anywhere in the snapshot rows, every row sealed with key k1.
        var store = await StoreAsync(dialect, "encrypted");
        await RunAndStopMidwayAsync(store.WithFallback(Encryption(KeyA)));
        var rows = await RawSnapshotsAsync(store);
        Assert.NotEmpty(rows);
        Assert.Empty(UsersIn(rows));
        Assert.All(rows, r => Assert.Equal("k1", AesGcmSnapshotCipher.KeyIdOf(r.Bytes)));
        SqliteConnection.ClearAllPools();

        // The wrong key (same key id, other bytes) restores nothing: the job fails, naming a checkpoint and the key.
        await using (var runtime = LocalRuntime.Start(store.WithFallback(Encryption(KeyB))))
        {
            var (job, sink) = CountPerUser();
            var client = runtime.Submit(job.Build(), Options);
            var result = await client.Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(JobState.Failed, result.State);
            var error = Assert.IsType<CorruptSnapshotException>(result.Failure);
            Assert.Contains(error.CheckpointId, rows.Select(r => r.Seq));
            Assert.StartsWith($"checkpoint {error.CheckpointId}: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("cannot be decrypted", error.Message, StringComparison.Ordinal);
            Assert.Contains("key 'k1'", error.Message, StringComparison.Ordinal);
            Assert.Empty(sink.Items);
        }

        // The right key restores the newest checkpoint and the job ends with every user's full count.
        await using (var runtime = LocalRuntime.Start(store.WithFallback(Encryption(KeyA))))
        {
            var (job, sink) = CountPerUser();
            var client = runtime.Submit(job.Build(), Options);
            var result = await client.Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
            Assert.NotNull(result.RestoredFrom);
            Assert.Contains(result.RestoredFrom.Value, rows.Select(r => r.Seq));
            var last = sink.Items.GroupBy(x => x.User).ToDictionary(g => g.Key, g => g.Max(x => x.Count));
            Assert.Equal(Users, last.Count);
            Assert.All(last, kv => Assert.Equal(Records / Users, kv.Value));
        }
        Assert.Empty(UsersIn(await RawSnapshotsAsync(store)));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
