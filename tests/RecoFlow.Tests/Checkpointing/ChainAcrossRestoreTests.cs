using RecoFlow.Connectors.Memory;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// A task that restores its own row of a checkpoint (same job, same parallelism, from the store) goes on with that row's
/// incremental chain: its first checkpoint after the restore is a delta building on the restored row, so a restore
/// does not cost a pause for the whole state.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ChainAcrossRestoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chain-restore").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* best effort */ }
    }

    /// <param name="count">Records in all (null: unbounded).</param>
    private static StreamJob CountPerKey(long? count = null)
    {
        var job = new StreamJob("chain-restore");
        // 20,000 keys once, then 50 of them again and again: few keys change between checkpoints.
        job.FromSource(new GeneratorSource<long>(n => n < 20_000 ? n : n % 50, count, ratePerSecond: 100_000), WatermarkStrategy<long>.NoWatermarks(), "keys")
            .KeyBy(k => k)
            .Reduce((a, b) => a + b, "count per key")
            .SinkTo(new CollectSink<long>(), "collect");
        return job;
    }

    /// <summary>Runs the job until <paramref name="checkpoints"/> checkpoints completed in this run, then cancels it.</summary>
    private async Task RunAsync(int checkpoints)
    {
        var started = DateTime.UtcNow;
        await using var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")));
        var client = runtime.Submit(CountPerKey().Build(), new JobRunOptions
        {
            JobKey = "chain-restore",
            Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(200) },
        });
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (client.Metrics.Checkpoints.Count(c => c.Status == CheckpointStatus.Completed && c.TriggeredAt >= started) < checkpoints)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{checkpoints} checkpoints did not complete within 2 minutes");
            Assert.False(client.Completion.IsCompleted, $"the job ended: {(client.Completion.IsCompleted ? client.Completion.Result.Failure?.Message : "")}");
            await Task.Delay(50);
        }
        client.Cancel();
        await client.Completion;
    }

    [Fact]
    public async Task The_first_checkpoint_after_a_restore_builds_on_the_restored_row()
    {
        await RunAsync(checkpoints: 3);
        var first = await HistoryAsync();
        var restoredFrom = first.Where(r => r.Status == CheckpointStatus.Completed).Max(r => r.Id);

        await RunAsync(checkpoints: 2);
        var history = await HistoryAsync();
        var after = history.Where(r => r.Status == CheckpointStatus.Completed && r.Id > restoredFrom).OrderBy(r => r.Id).ToList();
        Assert.True(after.Count >= 2, $"{after.Count} checkpoints after the restore");
        var counter = first.Single(r => r.Id == restoredFrom).Tasks.Single(t => IsKeyed(history, t));
        var next = after[0].Tasks.Single(t => t.PersistenceId == counter.PersistenceId);
        Assert.NotNull(next.Chain);
        Assert.Equal(restoredFrom, next.Chain![^1]);
        // The chain it continues is the restored row's: the rows before it, then it.
        Assert.Equal([.. counter.Chain ?? [], restoredFrom], next.Chain);
        Assert.True(next.SizeBytes < counter.RestoreSizeBytes / 4, $"the first checkpoint after the restore wrote {next.SizeBytes} bytes of a state of {counter.RestoreSizeBytes}");
    }

    [Fact]
    public async Task The_final_checkpoint_of_a_bounded_job_is_a_delta_and_a_run_again_restores_it()
    {
        var options = new JobRunOptions { JobKey = "chain-restore", Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(200) } };
        JobResult first;
        await using (var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db"))))
            first = await runtime.Submit(CountPerKey(count: 150_000).Build(), options).Completion.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(first.State == JobState.Finished, $"{first.State} {first.Failure}");
        var history = await HistoryAsync();
        var final = history.Single(r => r.IsFinal && r.Status == CheckpointStatus.Completed);
        var keyed = final.Tasks.Single(t => IsKeyed(history, t));
        Assert.NotNull(keyed.Chain);
        Assert.Equal(history.Where(r => r.Status == CheckpointStatus.Completed && !r.IsFinal).Max(r => r.Id), keyed.Chain![^1]);

        JobResult second;
        await using (var runtime = LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db"))))
            second = await runtime.Submit(CountPerKey(count: 150_000).Build(), options).Completion.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(second.State == JobState.Finished && second.AlreadyFinished, $"{second.State} {second.Failure}");
    }

    /// <summary>The keyed task: the one whose rows are deltas in some checkpoint of the run.</summary>
    private static bool IsKeyed(IReadOnlyList<CheckpointRecord> history, TaskStateRef task) =>
        history.Any(r => r.Tasks.Any(t => t.PersistenceId == task.PersistenceId && t.Chain is { Count: > 0 }));

    private Task<IReadOnlyList<CheckpointRecord>> HistoryAsync() =>
        CheckpointHistoryReader.ReadAsync(CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db")).WithFallback(RuntimeSettings.ReferenceConfig), "chain-restore");
}
