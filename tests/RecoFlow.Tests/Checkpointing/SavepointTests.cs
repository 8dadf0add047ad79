using MessagePack;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Execution;
using RecoFlow.Runtime.State;

namespace RecoFlow.Tests.Checkpointing;

[Trait("Category", "Slow")]
public sealed class SavepointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("savepoint").FullName;
    private const int Records = 20_000;
    private const int Keys = 50;

    /// <summary>Running count per key, at the given parallelism, over a paced source.</summary>
    private static (StreamJob Job, CollectSink<(int Key, long Count)> Sink) CountJob(int parallelism, bool keyedChaining = false)
    {
        var job = new StreamJob("savepoint-counts").WithDefaultParallelism(parallelism).WithKeyedChainingAtParallelismOne(keyedChaining);
        var sink = new CollectSink<(int Key, long Count)>();
        job.FromSource(new RateLimitedSource<int>(new CollectionSource<int>(Enumerable.Range(0, Records).ToList(), splits: 4), 8_000), WatermarkStrategy<int>.NoWatermarks(), "numbers")
            .Map(i => (Key: i % Keys, Count: 1L), "one").Uid("one")
            .KeyBy(t => t.Key)
            .Reduce((a, b) => (a.Key, a.Count + b.Count), "count").Uid("count")
            .SinkTo(sink, "counts").Uid("counts");
        return (job, sink);
    }

    /// <param name="checkpointed">With incremental checkpoints on, so the savepoint is taken as a delta over the task's
    /// chain and materialised into a self-contained state off the task's thread; it is resumed without the store.</param>
    [Theory]
    [InlineData(2, 3, false, false)]
    [InlineData(3, 1, false, false)]
    [InlineData(1, 3, true, false)] // the keyed count chained into the source task, then rescaled into three tasks behind a channel
    [InlineData(3, 1, true, false)] // and back
    [InlineData(2, 3, false, true)]
    public async Task Stop_with_savepoint_then_resume_at_another_parallelism_keeps_every_count(int before, int after, bool keyedChaining, bool checkpointed)
    {
        string path;
        await using (var runtime = checkpointed ? LocalRuntime.Start(CheckpointStore.Sqlite(Path.Combine(_dir, "ck.db"))) : LocalRuntime.Start())
        {
            var (job, sink) = CountJob(before, keyedChaining);
            var client = runtime.Submit(job.Build(), checkpointed ? new JobRunOptions { Checkpoints = new CheckpointOptions { Interval = TimeSpan.FromMilliseconds(100) } } : new JobRunOptions());
            if (checkpointed)
            {
                var deadline = DateTime.UtcNow.AddMinutes(1);
                while (client.Metrics.Checkpoints.Count(c => c.Status == CheckpointStatus.Completed && c.SizeBytes < c.FullSizeBytes) < 2)
                {
                    Assert.True(DateTime.UtcNow < deadline, "no incremental checkpoints within a minute");
                    await Task.Delay(20);
                }
            }
            Assert.Equal(keyedChaining && before == 1 ? 1 : 2, client.Plan.Vertices.Count); // source+map, then count+sink behind the key-by
            while (sink.Count < Records / 5) await Task.Delay(20);
            path = await client.TriggerSavepointAsync(Path.Combine(_dir, "savepoints"), stop: true);
            var result = await client.Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(JobState.Canceled, result.State);
            Assert.True(sink.Count < Records, "the job should have been stopped before its end");
        }
        Assert.True(File.Exists(Path.Combine(path, "_metadata")));
        await using (var runtime = LocalRuntime.Start())
        {
            var (job, sink) = CountJob(after, keyedChaining);
            var client = runtime.Submit(job.Build(), new JobRunOptions { FromSavepoint = path });
            Assert.Equal(keyedChaining && after == 1 ? 1 : 2, client.Plan.Vertices.Count);
            var result = await client.Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
            Assert.NotNull(result.RestoredFrom);
            var last = sink.Items.GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.Max(x => x.Count));
            Assert.Equal(Keys, last.Count);
            Assert.All(last, kv => Assert.Equal(Records / Keys, kv.Value));
        }
    }

    /// <summary>Count and smallest number in one event-time window that holds every number (event time = the number, in ms), over a paced source.</summary>
    private static (StreamJob Job, CollectSink<(long Start, long Count, long Min)> Sink) WindowJob()
    {
        var job = new StreamJob("drain-window");
        var sink = new CollectSink<(long Start, long Count, long Min)>();
        var numbers = new CollectionSource<long>(Enumerable.Range(0, Records).Select(i => (long)i).ToList(), timestamp: i => i);
        job.FromSource(new RateLimitedSource<long>(numbers, 8_000), WatermarkStrategy<long>.ForMonotonousTimestamps(), "numbers")
            .Map(i => (Count: 1L, Min: i), "one").Uid("one")
            .KeyBy(_ => 0)
            .Window(TumblingWindows<(long Count, long Min)>.OfEventTime(TimeSpan.FromHours(1)))
            .Reduce((a, b) => (a.Count + b.Count, Math.Min(a.Min, b.Min)), (_, w, r) => (w.Start, r.Count, r.Min), "window").Uid("window")
            .SinkTo(sink, "out").Uid("out");
        return (job, sink);
    }

    [Fact]
    public async Task Stop_with_drain_fires_the_open_window_into_the_savepoint_and_the_resumed_job_counts_only_the_rest()
    {
        string path;
        long firstRun;
        await using (var runtime = LocalRuntime.Start())
        {
            var (job, sink) = WindowJob();
            var client = runtime.Submit(job.Build());
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (client.Metrics.Tasks.Sum(t => Interlocked.Read(ref t.RecordsOut)) < 2_000 && DateTime.UtcNow < deadline) await Task.Delay(20);
            path = await client.TriggerSavepointAsync(Path.Combine(_dir, "savepoints"), stop: true, drain: true);
            Assert.Equal(JobState.Canceled, (await client.Completion.WaitAsync(TimeSpan.FromMinutes(1))).State);
            // The hour-long window is still open when the job stops: only the drain fires it, with every number read so far.
            var window = Assert.Single(sink.Items);
            Assert.Equal((0L, 0L), (window.Start, window.Min));
            firstRun = window.Count;
            Assert.InRange(firstRun, 1, Records - 1);
        }
        await using (var runtime = LocalRuntime.Start())
        {
            var (job, sink) = WindowJob();
            var result = await runtime.Submit(job.Build(), new JobRunOptions { FromSavepoint = path }).Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.True(result.State == JobState.Finished, $"{result.State} {result.Failure}");
            // Nothing read before the savepoint waits in the restored state: the window fires again with the rest only.
            var window = Assert.Single(sink.Items);
            Assert.Equal((0L, firstRun, Records - firstRun), (window.Start, window.Min, window.Count));
        }
    }

    [Fact]
    public void A_savepoint_whose_state_file_is_missing_is_refused_naming_it()
    {
        var record = new CheckpointRecord { Id = 7, Status = CheckpointStatus.Completed };
        var path = Savepoints.Write(_dir, record, [(new TaskStateRef { VertexUid = "map-1", Subtask = 0, Parallelism = 1 }, new TaskStateSnapshot { CheckpointId = 7 }.ToBytes())]);
        File.Delete(Directory.GetFiles(path, "*.state").Single());
        var e = Assert.Throws<CorruptSnapshotException>(() => Savepoints.Read(path));
        Assert.Contains("checkpoint 7", e.Message);
        Assert.Contains("missing", e.Message);
    }

    /// <summary>The first version of the key-group contract, as it was written (no checksums).</summary>
    [MessagePackObject]
    public sealed class KeyGroupSnapshotV1
    {
        [Key(0)] public int Version { get; set; } = 1;
        [Key(1)] public int KeyGroup { get; set; }
        [Key(2)] public Dictionary<string, byte[]> States { get; set; } = [];
    }

    [Fact]
    public void State_written_by_the_previous_snapshot_contract_version_is_read()
    {
        // Keyed state written with v1 of the contract restores into today's backend.
        var backend = new HeapKeyedStateBackend<string>(new RecoFlow.Runtime.KeyGroups.KeyGroupRange(0, 127), 128, new RecoFlow.TestKit.ManualProcessingTime());
        var count = backend.GetValueState(new RecoFlow.Api.State.ValueStateDescriptor<long>("count"));
        backend.CurrentKey = "alice";
        count.Update(41);
        var current = backend.Snapshot().KeyGroups.Single();
        var v1 = new KeyGroupSnapshotV1 { KeyGroup = current.KeyGroup, States = current.States };
        var bytes = MessagePackSerializer.Serialize(v1, StateSerializer.Options);

        var read = MessagePackSerializer.Deserialize<KeyGroupSnapshot>(bytes, StateSerializer.Options);
        Assert.Equal(1, read.Version);
        Assert.Null(read.Checksums);
        Assert.Null(read.Verify());
        var restored = new HeapKeyedStateBackend<string>(new RecoFlow.Runtime.KeyGroups.KeyGroupRange(0, 127), 128, new RecoFlow.TestKit.ManualProcessingTime());
        restored.Restore([read]);
        var c = restored.GetValueState(new RecoFlow.Api.State.ValueStateDescriptor<long>("count"));
        restored.CurrentKey = "alice";
        Assert.Equal(41, c.Value);
        // Today's contract carries checksums, which catch a flipped byte.
        Assert.Equal(KeyGroupSnapshot.CurrentVersion, current.Version);
        current.States["count"][^1] ^= 0xFF;
        Assert.Equal("count", current.Verify());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
