using Microsoft.Data.Sqlite;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Connectors;
using RecoFlow.Connectors.Files;
using RecoFlow.Connectors.Memory;
using RecoFlow.Connectors.Sql;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.TestKit;
using RecoFlow.TestSupport;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>Recovery inside one process: operators that throw, checkpoints that time out, restart strategies, corrupt snapshots.</summary>
[Trait("Category", "Slow")]
public sealed class CheckpointRecoveryTests(YsbFixture ysb) : IClassFixture<YsbFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ckpt").FullName;

    /// <summary>
    /// Throws at chosen record counts, once each; the counter survives restarts because the instance is shared (marked so:
    /// subtasks otherwise run their own copy of what a lambda captured, fresh from the job at every restart).
    /// </summary>
    [SharedAcrossSubtasks]
    private sealed class Chaos(IEnumerable<long> failAt)
    {
        private readonly HashSet<long> _failAt = [.. failAt];
        private long _seen;
        public int Thrown;

        public YsbEvent Pass(YsbEvent e)
        {
            var n = Interlocked.Increment(ref _seen);
            if (_failAt.Remove(n))
            {
                Thrown++;
                throw new InvalidOperationException($"chaos: failing at record {n}");
            }
            return e;
        }
    }

    /// <summary>YSB with the window operator at parallelism 2, so barriers align over several channels (key-by into the windows, two windows into the sink).</summary>
    private StreamJob YsbJob(string output, Chaos? chaos = null, int? eventsPerSecond = null)
    {
        var job = new StreamJob("ysb-ckpt").WithDefaultParallelism(2);
        ISource<YsbEvent> source = new JsonLinesFileSource<YsbEvent>([ysb.Input], YsbEvent.Parse);
        if (eventsPerSecond is { } rate) source = new RateLimitedSource<YsbEvent>(source, rate);
        var (_, counts) = RecoFlow.Jobs.Ysb.YsbJob.Pipeline(job, source, () => YsbData.LoadCampaigns(ysb.Campaigns),
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), afterSource: chaos is null ? null : s => s.Map(chaos.Pass, "chaos").SetParallelism(1));
        counts.SinkTo(new FileSink<YsbResult>(output, r => r.ToJson()), "window counts").SetParallelism(1);
        return job;
    }

    private IReadOnlyList<(DateTime At, string Cause)> _failures = [];

    private async Task<JobResult> RunAsync(StreamJob job, JobRunOptions options, Akka.Configuration.Config store)
    {
        await using var runtime = LocalRuntime.Start(store);
        var client = runtime.Submit(job.Build(), options);
        var result = await client.Completion.WaitAsync(TimeSpan.FromMinutes(3));
        _failures = client.Metrics.Failures;
        return result;
    }

    private string Failures => string.Join(" | ", _failures.Select(f => f.Cause));

    [Fact]
    public async Task Operator_throwing_at_random_records_restarts_from_checkpoints_and_output_is_exact()
    {
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        var chaos = new Chaos(Enumerable.Range(0, 5).Select(_ => (long)rng.Next(50_000, 1_200_000)));
        var output = Path.Combine(_dir, "out");
        var result = await RunAsync(YsbJob(output, chaos),
            new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100) }, RestartStrategy = RestartStrategy.FixedDelay(10, TimeSpan.FromMilliseconds(50)) },
            CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")));
        Assert.True(result.State == JobState.Finished, $"seed {seed}: {result.State} {result.Failure}");
        Assert.True(chaos.Thrown >= 1, $"seed {seed}: the operator never threw");
        Assert.True(chaos.Thrown == result.Restarts, $"{chaos.Thrown} thrown, {result.Restarts} restarts: {Failures}");
        ysb.AssertCommittedOutputExact(output);
    }

    /// <summary>
    /// Chains of at most three rows, so most of the job's checkpoints close a chain: their rows are materialised from the
    /// rows already written (off the task thread) and later deltas build on them; restarts at random records restore
    /// from all kinds of rows, and the output stays exact.
    /// </summary>
    [Fact]
    public async Task Materialised_rows_close_chains_and_restore_exactly()
    {
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        var chaos = new Chaos(Enumerable.Range(0, 3).Select(_ => (long)rng.Next(200_000, 1_200_000)));
        var output = Path.Combine(_dir, "out");
        var db = Path.Combine(_dir, "ck.db");
        var result = await RunAsync(YsbJob(output, chaos, eventsPerSecond: 250_000),
            new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100), FullEvery = 3 }, RestartStrategy = RestartStrategy.FixedDelay(10, TimeSpan.FromMilliseconds(50)) },
            CheckpointStore.Sqlite(db));
        Assert.True(result.State == JobState.Finished, $"seed {seed}: {result.State} {result.Failure}");
        ysb.AssertCommittedOutputExact(output);

        var history = await CheckpointHistoryReader.ReadAsync(CheckpointStore.Sqlite(db).WithFallback(RuntimeSettings.ReferenceConfig), "ysb-ckpt");
        var rows = history.Where(r => r.Status == CheckpointStatus.Completed).SelectMany(r => r.Tasks.Select(t => (r.Id, Task: t))).ToList();
        Assert.All(rows, r => Assert.True((r.Task.Chain?.Count ?? 0) <= 2, $"checkpoint {r.Id}: a chain of {r.Task.Chain?.Count} rows before it"));
        // Rows written whole right after a delta: materialised ones, or the first row after a restart (at most one per
        // task and restart); later deltas build on them.
        var keyedTasks = rows.Where(r => r.Task.Chain is { Count: > 0 }).Select(r => r.Task.PersistenceId).Distinct().Count();
        var closed = rows.GroupBy(r => r.Task.PersistenceId).Sum(task =>
        {
            var ordered = task.OrderBy(r => r.Id).ToList();
            return ordered.Zip(ordered.Skip(1), (a, b) => (Before: a, Row: b)).Count(p => p.Before.Task.Chain is { Count: > 0 } && p.Row.Task.Chain is null
                && ordered.Any(r => r.Task.Chain is { Count: > 0 } c && c[0] == p.Row.Id));
        });
        Assert.True(keyedTasks > 0 && closed > keyedTasks * result.Restarts, $"{closed} chains closed by a materialised row, {keyedTasks} tasks with deltas, {result.Restarts} restarts");
    }

    [Theory]
    [InlineData(SqlDialect.Sqlite)]
    [InlineData(SqlDialect.Postgres)]
    public async Task Sql_sink_rows_are_exactly_once_through_failures(SqlDialect dialect)
    {
        var connection = dialect == SqlDialect.Postgres ? await TestDatabases.NewPostgresDatabaseAsync() : $"Data Source={Path.Combine(_dir, "out.db")}";
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        var chaos = new Chaos(Enumerable.Range(0, 3).Select(_ => (long)rng.Next(50_000, 1_100_000)));
        var job = new StreamJob("ysb-sql");
        var (_, counts) = RecoFlow.Jobs.Ysb.YsbJob.Pipeline(job, new JsonLinesFileSource<YsbEvent>([ysb.Input], YsbEvent.Parse), () => YsbData.LoadCampaigns(ysb.Campaigns),
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), afterSource: s => s.Map(chaos.Pass, "chaos").SetParallelism(1));
        counts.SinkTo(new SqlSink<YsbResult>(dialect, connection, "window_counts",
        [
            new("campaign_id", "VARCHAR(100)", r => r.CampaignId),
            new("window_start", "BIGINT", r => r.WindowStart),
            new("views", "BIGINT", r => r.Count),
        ]), "window counts").SetParallelism(2);
        var result = await RunAsync(job,
            new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100) }, RestartStrategy = RestartStrategy.FixedDelay(10, TimeSpan.FromMilliseconds(50)) },
            CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")));
        Assert.True(result.State == JobState.Finished, $"seed {seed}: {result.State} {result.Failure}");
        Assert.True(chaos.Thrown == result.Restarts, $"{chaos.Thrown} thrown, {result.Restarts} restarts: {Failures}");

        await using var c = dialect == SqlDialect.Postgres ? (System.Data.Common.DbConnection)new Npgsql.NpgsqlConnection(connection) : new SqliteConnection(connection);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT campaign_id, window_start, views FROM window_counts";
        var rows = new List<((string, long) Key, long Count)>();
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) rows.Add(((r.GetString(0), r.GetInt64(1)), r.GetInt64(2)));
        var duplicates = rows.GroupBy(x => x.Key).Where(g => g.Count() > 1).Select(g => g.Key).Take(3).ToList();
        Assert.True(duplicates.Count == 0, $"seed {seed}: rows committed twice: {string.Join(", ", duplicates)}");
        Assert.Equal(ysb.Expected.Count, rows.Count);
        Assert.All(rows, x => Assert.Equal(ysb.Expected[x.Key], x.Count));
        cmd.CommandText = "SELECT COUNT(*) FROM window_counts__rf_staging";
        Assert.Equal(0L, Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_lost_channel_message_fails_the_task_and_the_job_restarts_from_the_last_checkpoint()
    {
        var output = Path.Combine(_dir, "out");
        var job = new StreamJob("ysb-gap");
        var (_, counts) = RecoFlow.Jobs.Ysb.YsbJob.Pipeline(job, new RateLimitedSource<YsbEvent>(new JsonLinesFileSource<YsbEvent>([ysb.Input], YsbEvent.Parse), 400_000),
            () => YsbData.LoadCampaigns(ysb.Campaigns), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));
        counts.SinkTo(new FileSink<YsbResult>(output, r => r.ToJson()), "window counts").SetParallelism(1);
        await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")));
        var client = runtime.Submit(job.Build(), new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100) } });
        while (!client.Metrics.Checkpoints.Any(c => c.Status == CheckpointStatus.Completed)) await Task.Delay(10);
        // A message that skips sequence numbers on the window task's input channel, as if one had been lost.
        var window = client.Plan.Vertices.Single(v => v.Name.Contains("count per campaign", StringComparison.Ordinal));
        runtime.System.ActorSelection($"/user/job-{Uri.EscapeDataString(client.JobId)}/task-{window.Id}-0-1")
            .Tell(new RecoFlow.Runtime.Channels.WatermarkMessage { Watermark = 0, Channel = 0, Seq = 1_000_000, Attempt = 1 });
        var result = await client.Completion.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
        Assert.Equal(1, result.Restarts);
        Assert.Contains("lost or reordered channel message", client.Metrics.Failures.Single().Cause);
        ysb.AssertCommittedOutputExact(output);
    }

    [Fact]
    public async Task Restart_strategy_gives_up_and_the_job_fails_with_the_cause()
    {
        var chaos = new Chaos(Enumerable.Range(1, 100).Select(i => (long)i * 20_000));
        var result = await RunAsync(YsbJob(Path.Combine(_dir, "out"), chaos),
            new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100) }, RestartStrategy = RestartStrategy.FixedDelay(2, TimeSpan.FromMilliseconds(10)) },
            CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")));
        Assert.Equal(JobState.Failed, result.State);
        Assert.Equal(2, result.Restarts);
        Assert.Contains("chaos: failing at record", result.Failure!.Message);
        Assert.Contains("gave up after 2 restarts", result.Failure.Message);
    }

    [Fact]
    public void Failure_rate_strategy_gives_up_only_when_failures_crowd_together()
    {
        var s = RestartStrategy.FailureRate(2, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(5)).Fresh();
        var t = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.NotNull(s.OnFailure(t));
        Assert.NotNull(s.OnFailure(t.AddSeconds(10)));
        Assert.Null(s.OnFailure(t.AddSeconds(20)));
        var spaced = RestartStrategy.FailureRate(2, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(5)).Fresh();
        for (var i = 0; i < 10; i++) Assert.NotNull(spaced.OnFailure(t.AddMinutes(i * 2)));
        var exp = RestartStrategy.ExponentialBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(350), jitter: 0).Fresh();
        Assert.Equal([100, 200, 350, 350], Enumerable.Range(0, 4).Select(_ => exp.OnFailure(t)!.Value.TotalMilliseconds));
        Assert.Equal("exponential backoff 100 ms to 350 ms, jitter 0.1", RestartStrategy.Parse("exponential:100ms:350ms").Describe());
        Assert.Equal("exponential backoff 100 ms to 350 ms", RestartStrategy.Parse("exponential:100ms:350ms:0").Describe());
        Assert.Throws<ArgumentException>(() => RestartStrategy.Parse("exponential:100ms:350ms:2"));
        // With jitter (0.1 by default) each delay is spread by up to ±10 % of itself, never beyond the maximum.
        var firsts = Enumerable.Range(0, 200).Select(_ => RestartStrategy.ExponentialBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)).Fresh().OnFailure(t)!.Value.TotalMilliseconds).ToList();
        Assert.All(firsts, d => Assert.InRange(d, 90, 110));
        Assert.True(firsts.Distinct().Count() > 50, "jittered delays should differ");
        var capped = RestartStrategy.ExponentialBackoff(TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(400)).Fresh();
        Assert.All(Enumerable.Range(0, 50), _ => Assert.InRange(capped.OnFailure(t)!.Value.TotalMilliseconds, 360, 400));
        Assert.Throws<ArgumentException>(() => RestartStrategy.Parse("sometimes"));
    }

    /// <summary>An operator whose third snapshot takes twice the checkpoint timeout (ordinary ones take milliseconds).</summary>
    private sealed class SlowSnapshot : RecoFlow.Api.Operators.OneInputOperator<YsbEvent, YsbEvent>
    {
        public static int Slowed;
        public override void ProcessElement(YsbEvent value, long timestamp) => Output.Collect(value, timestamp);

        public override void SnapshotState(long checkpointId)
        {
            if (Interlocked.Increment(ref Slowed) == 3) Thread.Sleep(6_000);
        }
    }

    [Fact]
    public async Task A_checkpoint_that_times_out_restarts_the_job_from_the_last_completed_one()
    {
        SlowSnapshot.Slowed = 0;
        var output = Path.Combine(_dir, "out");
        var job = new StreamJob("ysb-slow");
        var (_, counts) = RecoFlow.Jobs.Ysb.YsbJob.Pipeline(job, new JsonLinesFileSource<YsbEvent>([ysb.Input], YsbEvent.Parse), () => YsbData.LoadCampaigns(ysb.Campaigns),
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), afterSource: s => s.Transform("slow", "slow snapshot", () => new SlowSnapshot()).SetParallelism(1));
        counts.SinkTo(new FileSink<YsbResult>(output, r => r.ToJson()), "window counts").SetParallelism(1);
        var result = await RunAsync(job,
            new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(3) }, RestartStrategy = RestartStrategy.FixedDelay(3, TimeSpan.Zero) },
            CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")));
        Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
        Assert.True(result.Restarts == 1, Failures);
        ysb.AssertCommittedOutputExact(output);
    }

    [Fact]
    public async Task A_corrupt_snapshot_names_checkpoint_and_key_group_and_recovery_falls_back_to_the_previous_checkpoint()
    {
        // First run: killed (cancelled) midway, leaving several completed checkpoints.
        var output = Path.Combine(_dir, "out");
        var db = Path.Combine(_dir, "ck.db");
        var options = new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(50), Retained = 3 } };
        await using (var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(db)))
        {
            // Paced (1M events over about 2.5 s), so the job cannot finish before it has taken four checkpoints.
            var client = runtime.Submit(YsbJob(output, eventsPerSecond: 400_000).Build(), options);
            while (client.Metrics.Checkpoints.Count(c => c.Status == CheckpointStatus.Completed) < 4 && !client.Completion.IsCompleted) await Task.Delay(20);
            client.Cancel();
            var first = await client.Completion;
            Assert.Equal(JobState.Canceled, first.State);
        }
        // Corrupt one key group of the window operator in the newest checkpoint.
        long newest;
        await using (var c = new SqliteConnection($"Data Source={db}"))
        {
            await c.OpenAsync();
            var cmd = c.CreateCommand();
            var history = await CheckpointHistoryReader.ReadAsync(CheckpointStore.Sqlite(db).WithFallback(RuntimeSettings.ReferenceConfig), "ysb-ckpt");
            newest = history.Last(h => h.Status == CheckpointStatus.Completed).Id;
            Assert.True(history.Count(h => h.Status == CheckpointStatus.Completed) >= 4);
            cmd.CommandText = "SELECT persistence_id, snapshot FROM snapshot WHERE sequence_number = $n";
            cmd.Parameters.AddWithValue("$n", newest);
            var rows = new List<(string Pid, byte[] Payload)>();
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync()) rows.Add((r.GetString(0), (byte[])r[1]));
            var (pid, payload) = rows.Select(x => (x.Pid, x.Payload, Snap: TaskStateSnapshot.FromBytes(x.Payload, newest, x.Pid)))
                .First(x => x.Snap.Operators.Values.Any(o => o.Keyed?.KeyGroups.Count > 0)) is var hit ? (hit.Pid, hit.Payload) : default;
            var snap = TaskStateSnapshot.FromBytes(payload, newest, pid);
            var group = snap.Operators.Values.First(o => o.Keyed?.KeyGroups.Count > 0).Keyed!.KeyGroups[0];
            // Flip one byte of the largest state: always a change (reversing the bytes was not one for a one-byte or
            // palindromic state, such as an empty map), and MurmurHash3 maps any one-byte change to a new checksum.
            var state = group.States.MaxBy(s => s.Value.Length).Key;
            var corrupt = (byte[])group.States[state].Clone();
            corrupt[corrupt.Length / 2] ^= 0x5A;
            group.States[state] = corrupt;
            var update = c.CreateCommand();
            update.CommandText = "UPDATE snapshot SET snapshot = $p WHERE persistence_id = $id AND sequence_number = $n";
            update.Parameters.AddWithValue("$p", snap.ToBytes());
            update.Parameters.AddWithValue("$id", pid);
            update.Parameters.AddWithValue("$n", newest);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
            var error = Assert.Throws<CorruptSnapshotException>(() => TaskStateSnapshot.FromBytes(snap.ToBytes(), newest, pid));
            Assert.Contains($"checkpoint {newest}", error.Message);
            Assert.Contains($"key group {group.KeyGroup}", error.Message);
        }
        SqliteConnection.ClearAllPools();
        // Second run: resumes from the checkpoint before the corrupt one. Output committed at the corrupt checkpoint is
        // produced again (as in Flink, falling back past a committed checkpoint repeats its output); nothing is lost.
        var result = await RunAsync(YsbJob(output, eventsPerSecond: 400_000), options, CheckpointStore.Sqlite(db));
        Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
        Assert.True(result.RestoredFrom < newest, $"restored from {result.RestoredFrom}, corrupt {newest}");
        ysb.AssertCommittedOutput(output, allowRepeats: true);
    }

    [Fact]
    public async Task A_finished_job_run_again_reports_it_and_writes_nothing_twice()
    {
        var output = Path.Combine(_dir, "out");
        var db = Path.Combine(_dir, "ck.db");
        var options = new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(200) } };
        var first = await RunAsync(YsbJob(output), options, CheckpointStore.Sqlite(db));
        Assert.Equal(JobState.Finished, first.State);
        var files = CommittedFiles.List(output);
        var second = await RunAsync(YsbJob(output), options, CheckpointStore.Sqlite(db));
        Assert.Equal(JobState.Finished, second.State);
        Assert.True(second.AlreadyFinished);
        Assert.Equal(files, CommittedFiles.List(output));
        ysb.AssertCommittedOutputExact(output);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
