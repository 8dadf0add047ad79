using System.Globalization;
using System.Text.Json.Nodes;
using RecoFlow.Connectors.Files;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Keyed state larger than a remote message (remote frames are limited to 4 MiB, cluster.conf): a job whose keyed
/// tasks run spread over the nodes and hold about 50 MiB each is stopped with a savepoint and resumed from it, and its
/// output is exact. State travels through storage; messages carry handles.
/// </summary>
[Trait("Category", "Slow")]
public sealed class LargeStateTests(BareThreeNodeCluster cluster, ITestOutputHelper log) : IClassFixture<BareThreeNodeCluster>
{
    public const string JobClass = "MyJobs.BigState";
    private const int Keys = 420;
    private const int RowsPerKey = 120; // 50,400 rows: 100 s at the first run's 500/s, so the stop always comes before the input's end
    private const int BlobKib = 256; // 420 keys x 256 KiB = 105 MiB over two keyed subtasks

    /// <summary>Per key: a 256 KiB blob in keyed state (written at its first record) and a count; at the end of input, "key,count,checksum of the blob".</summary>
    private const string Source = """
        using RecoFlow.Api;
        using RecoFlow.Api.Functions;
        using RecoFlow.Api.State;
        using RecoFlow.Api.Streams;
        using RecoFlow.Api.Time;
        using RecoFlow.Connectors;
        using RecoFlow.Connectors.Files;

        namespace MyJobs;

        public sealed record Hit(string Key, long Seq);

        public sealed class BigState : IJobDefinition
        {
            public string Name => "big-state";
            public string Description => "keeps a large blob per key";
            public IReadOnlyList<JobParameter> Parameters { get; } =
            [
                new("input", "CSV file key,seq", Required: true),
                new("output", "directory of committed part files", Required: true),
                new("blob-kib", "KiB of state per key", "256"),
                new("rate", "records per second", "1500"),
            ];

            public StreamJob Build(JobParameters p)
            {
                var job = new StreamJob(Name, p.Values).WithDefaultParallelism(2);
                job.FromSource(new RateLimitedSource<Hit>(new LineFileSource<Hit>([p.GetString("input")], Parse), p.GetInt("rate")),
                        WatermarkStrategy<Hit>.ForBoundedOutOfOrderness(TimeSpan.Zero).WithTimestampAssigner(h => h.Seq), "hits").SetParallelism(1)
                    .KeyBy(h => h.Key)
                    .Process(new Hold(p.GetInt("blob-kib")), "hold")
                    .SinkTo(new FileSink<string>(p.GetString("output"), s => s), "totals").SetParallelism(1);
                return job;
            }

            private static Hit Parse(string line)
            {
                var f = line.Split(',');
                return new Hit(f[0], long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        public sealed class Hold(int blobKib) : KeyedProcessFunction<string, Hit, string>
        {
            private IValueState<byte[]> _blob = null!;
            private IValueState<long> _count = null!;

            public override void OpenState(IKeyedStateBackend<string> state)
            {
                _blob = state.GetValueState(new ValueStateDescriptor<byte[]>("blob"));
                _count = state.GetValueState(new ValueStateDescriptor<long>("count"));
            }

            public override void ProcessElement(Hit value, IKeyedProcessContext<string> context, ICollector<string> output)
            {
                if (!_blob.HasValue)
                {
                    var blob = new byte[blobKib * 1024];
                    var seed = (uint)value.Key.Length * 2654435761u;
                    foreach (var c in value.Key) seed = seed * 31 + c;
                    for (var i = 0; i < blob.Length; i++) { seed = seed * 1664525 + 1013904223; blob[i] = (byte)(seed >> 24); }
                    _blob.Update(blob);
                    context.Timers.RegisterEventTimeTimer(long.MaxValue - 1);
                }
                _count.Update(_count.Value + 1);
            }

            public override void OnTimer(long timestamp, IOnTimerContext<string> context, ICollector<string> output)
            {
                long sum = 0;
                foreach (var b in _blob.Value!) sum = sum * 31 + b;
                output.Collect($"{context.CurrentKey},{_count.Value},{sum}");
            }
        }
        """;

    /// <summary>The checksum the job computes for a key's blob.</summary>
    private static long Checksum(string key)
    {
        var seed = (uint)key.Length * 2654435761u;
        foreach (var c in key) seed = seed * 31 + c;
        long sum = 0;
        for (var i = 0; i < BlobKib * 1024; i++)
        {
            seed = seed * 1664525 + 1013904223;
            sum = sum * 31 + (byte)(seed >> 24);
        }
        return sum;
    }

    private async Task<JsonNode> WaitForStateAsync(string id, string state, Func<JsonNode, bool>? also = null, int seconds = 90)
    {
        JsonNode? status = null;
        await cluster.Eventually(async () =>
        {
            status = await cluster.GetAsync(cluster.AnyLiveNode, $"api/jobs/{id}");
            var s = status?["status"]?.GetValue<string>();
            Assert.NotEqual("FAILED", s);
            return s == state && (also is null || also(status!));
        }, TimeSpan.FromSeconds(seconds), $"job {id} {state}");
        return status!;
    }

    [Fact]
    public async Task A_remote_keyed_task_with_50_MiB_of_state_is_stopped_with_a_savepoint_and_resumed_with_exact_output()
    {
        var dll = await UserAssemblyJob.BuildAsync(Path.Combine(cluster.Directory, "bigstate"), Source);
        var input = Path.Combine(cluster.Directory, "hits.csv");
        var keys = Enumerable.Range(0, Keys).Select(k => $"key-{k}").ToList();
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, Keys * RowsPerKey).Select(i => $"{keys[i % Keys]},{1_700_000_000_000L + i}"));
        var output = Path.Combine(cluster.Directory, "big-state-out");
        var url = cluster.AnyLiveNode.Http.ToString();
        string[] job = ["--job-class", JobClass, "--cluster", url, "--param", $"input={input}", "--param", $"output={output}", "--param", $"blob-kib={BlobKib}"];

        var submit = await Cli.RunAsync(["submit", dll, .. job, "--param", "rate=500"]);
        Assert.True(submit.Code == 0, $"submit failed ({submit.Code}): {submit.Err}\n{cluster.Logs()}");
        var id = submit.Out;
        // Running, past the first checkpoint that holds every key's blob (all keys come in the first 420 records). With
        // incremental checkpoints that checkpoint may have written only the changes: what it restores counts.
        var running = await WaitForStateAsync(id, "RUNNING", s => s["last_checkpoint"]?["full_size_bytes"]?.GetValue<long>() > Keys * BlobKib * 1024L);
        log.WriteLine($"running with checkpoint {running["last_checkpoint"]!.ToJsonString()}");
        var master = running["node"]!.GetValue<string>();
        var holds = running["tasks"]!.AsArray().Where(t => t!["name"]!.GetValue<string>().StartsWith("hold", StringComparison.Ordinal)).ToList();
        Assert.Contains(holds, t => t!["node"]?.GetValue<string>() is { } node && node != master);

        var stop = await Cli.RunAsync("stop", id, "--savepoint", "--cluster", url);
        Assert.True(stop.Code == 0, $"stop failed: {stop.Err}\n{cluster.Logs()}");
        var files = Directory.GetFiles(stop.Out, "task-*.state");
        log.WriteLine($"savepoint {stop.Out}: {string.Join(", ", files.Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length / 1024 / 1024} MiB"))}");
        Assert.Contains(files, f => new FileInfo(f).Length > 45L * 1024 * 1024);
        await WaitForStateAsync(id, "CANCELED");

        // The rest of the input as fast as it goes: the pace is no state, only what kept the first run from ending first.
        var resumed = await Cli.RunAsync(["submit", dll, .. job, "--param", "rate=50000", "--from-savepoint", stop.Out]);
        Assert.True(resumed.Code == 0, $"resume failed ({resumed.Code}): {resumed.Err}\n{cluster.Logs()}");
        await WaitForStateAsync(resumed.Out, "FINISHED", seconds: 120);

        var lines = CommittedFiles.ReadLines(output).Select(l => l.Split(',')).ToList();
        Assert.Equal(Keys, lines.Count);
        Assert.Equal(keys.Order(StringComparer.Ordinal), lines.Select(f => f[0]).Order(StringComparer.Ordinal));
        Assert.All(lines, f => Assert.Equal(RowsPerKey, int.Parse(f[1], CultureInfo.InvariantCulture)));
        foreach (var f in lines.Take(10)) Assert.Equal(Checksum(f[0]), long.Parse(f[2], CultureInfo.InvariantCulture));
    }
}
