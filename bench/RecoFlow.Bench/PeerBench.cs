using System.Diagnostics;
using System.Reactive.Linq;
using System.Text;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using RecoFlow.Api.Streams;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Bench;

/// <summary>
/// YSB over the same in-memory events in one process: RecoFlow, a hand-written loop, a plain Akka.Streams pipeline
/// (no fault tolerance, no parallelism) and System.Reactive, alternating runs, medians. All compute the same counts
/// (views per campaign per 10 s window, late views dropped by a watermark trailing by 5 s, advanced every 1,024 events
/// as RecoFlow's source does) and must agree on the number of windows. Streamiz.Kafka.Net (a Kafka Streams port) runs
/// the same count as a Kafka Streams topology (filter → re-key by campaign → group → 10 s tumbling windows with 5 s
/// grace → count, in-memory window store) through its in-process <c>TopologyTestDriver</c> (synchronous mode: each
/// event is serialized into an in-memory topic, deserialized, processed, repartitioned through an in-memory topic,
/// counted), and must produce the same windows as the loop with a per-event watermark.
/// </summary>
public static class PeerBench
{
    /// <param name="RecoFlowChained">The same job with <c>WithKeyedChainingAtParallelismOne</c>: one task, no key-by channel.</param>
    public sealed record Result(long Events, long StreamizEvents, double RecoFlow, double RecoFlowChained, double Loop, double AkkaStreams, double Rx, double Streamiz);

    public static async Task<Result> RunAsync(bool quick, CancellationToken ct)
    {
        var n = quick ? 500_000 : 2_000_000;
        var runs = quick ? 2 : 5;
        var table = YsbData.Campaigns();
        var campaigns = table.ToDictionary(t => t.Ad, t => t.Campaign);
        var events = YsbData.Generate(n, 1, table).ToArray();
        var batch = RuntimeSettings.Default.PollSize; // the engine's source emits a watermark per poll: the peers model the same cadence
        var expected = YsbData.ExpectedCounts(events, campaigns, 10_000, 5_000, batch).Count;
        var recoflow = new List<double>();
        var chained = new List<double>();
        var loop = new List<double>();
        var akka = new List<double>();
        var rx = new List<double>();
        var streamiz = new List<double>();
        // Kafka Streams drops a record once stream time (the highest timestamp seen) passes its window's end + grace:
        // a watermark advanced on every event.
        // Its test driver handles a few thousand events/s, so it gets the first part of the events.
        var streamizEvents = events[..(quick ? 50_000 : 200_000)];
        var expectedPerEvent = YsbData.ExpectedCounts(streamizEvents, campaigns, 10_000, 5_000, 1);
        await using var runtime = LocalRuntime.Start();
        using var system = ActorSystem.Create("peers", "akka.loglevel = WARNING");
        var materializer = system.Materializer();
        for (var i = 0; i < runs + 1; i++)
        {
            ct.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            Check("loop", YsbData.ExpectedCounts(events, campaigns, 10_000, 5_000, batch).Count, expected);
            var loopSeconds = sw.Elapsed.TotalSeconds;

            sw.Restart();
            var counter = await Source.From(events)
                .RunWith(Sink.Aggregate<YsbEvent, WindowCounter>(new WindowCounter(campaigns, batch), (c, e) => c.Add(e)), materializer);
            var akkaSeconds = sw.Elapsed.TotalSeconds;
            Check("Akka.Streams", counter.Count, expected);

            sw.Restart();
            var rxCounter = await events.ToObservable().Aggregate(new WindowCounter(campaigns, batch), (c, e) => c.Add(e));
            var rxSeconds = sw.Elapsed.TotalSeconds;
            Check("System.Reactive", rxCounter.Count, expected);

            sw.Restart();
            var streamizWindows = StreamizYsb.CountWindows(streamizEvents, campaigns);
            var streamizSeconds = sw.Elapsed.TotalSeconds;
            if (!streamizWindows.SetEquals(expectedPerEvent.Keys))
                throw new InvalidOperationException($"YSB peers bench: Streamiz produced {streamizWindows.Count} windows, expected {expectedPerEvent.Count} (the same set)");

            var engineSeconds = await RunRecoFlowAsync(runtime, events, campaigns, expected, keyedChaining: false, ct);
            var chainedSeconds = await RunRecoFlowAsync(runtime, events, campaigns, expected, keyedChaining: true, ct);
            if (i == 0) continue;
            loop.Add(n / loopSeconds);
            akka.Add(n / akkaSeconds);
            rx.Add(n / rxSeconds);
            streamiz.Add(streamizEvents.Length / streamizSeconds);
            recoflow.Add(n / engineSeconds);
            chained.Add(n / chainedSeconds);
        }
        await system.Terminate();
        return new Result(n, streamizEvents.Length, BenchDoc.Median(recoflow), BenchDoc.Median(chained), BenchDoc.Median(loop), BenchDoc.Median(akka), BenchDoc.Median(rx), BenchDoc.Median(streamiz));
    }

    /// <summary>One YSB run on the embedded runtime (checkpoints off); seconds from submission to the end.</summary>
    private static async Task<double> RunRecoFlowAsync(LocalRuntime runtime, YsbEvent[] events, IReadOnlyDictionary<string, string> campaigns, int expected, bool keyedChaining, CancellationToken ct)
    {
        var job = new StreamJob("ysb-peers").WithKeyedChainingAtParallelismOne(keyedChaining);
        var sink = new CollectSink<YsbResult>();
        var (_, results) = YsbJob.Pipeline(job, new CollectionSource<YsbEvent>(events), () => campaigns, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));
        results.SinkTo(sink);
        var sw = Stopwatch.StartNew();
        await runtime.Submit(job.Build()).WaitAsync(ct);
        var seconds = sw.Elapsed.TotalSeconds;
        Check(keyedChaining ? "RecoFlow (key-by chained)" : "RecoFlow", sink.Count, expected);
        return seconds;
    }

    private static void Check(string who, int actual, int expected)
    {
        if (actual != expected) throw new InvalidOperationException($"YSB peers bench: {who} produced {actual} windows, expected {expected}");
    }

    public static string Render(Result r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| YSB, {r.Events:N0} in-memory events, one process | events/s | vs RecoFlow |");
        sb.AppendLine("|---|---:|---:|");
        sb.AppendLine($"| RecoFlow (embedded runtime, checkpoints off) | {r.RecoFlow:N0} | 1.0x |");
        sb.AppendLine($"| RecoFlow, key-by chained at parallelism 1 (`WithKeyedChainingAtParallelismOne`: one task, no channel) | {r.RecoFlowChained:N0} | {r.RecoFlowChained / r.RecoFlow:F1}x |");
        sb.AppendLine($"| hand-written C# loop (upper bound) | {r.Loop:N0} | {r.Loop / r.RecoFlow:F1}x |");
        sb.AppendLine($"| Akka.Streams, one linear pipeline, no fault tolerance | {r.AkkaStreams:N0} | {r.AkkaStreams / r.RecoFlow:F1}x |");
        sb.AppendLine($"| System.Reactive | {r.Rx:N0} | {r.Rx / r.RecoFlow:F1}x |");
        sb.AppendLine($"| Streamiz.Kafka.Net 1.8.2 (Kafka Streams port) through its in-process TopologyTestDriver, in-memory window store; the first {r.StreamizEvents:N0} events | {r.Streamiz:N0} | {r.Streamiz / r.RecoFlow:F3}x |");
        return sb.ToString();
    }

    /// <summary>The YSB count as a fold: what the loop computes, fed one event at a time by a peer library.</summary>
    private sealed class WindowCounter(IReadOnlyDictionary<string, string> campaigns, int watermarkEvery)
    {
        private readonly Dictionary<(string, long), long> _counts = [];
        private long _maxTs = long.MinValue;
        private long _watermark = long.MinValue;
        private long _n;

        public int Count => _counts.Count;

        public WindowCounter Add(YsbEvent e)
        {
            if (e.EventType == "view" && campaigns.TryGetValue(e.AdId, out var campaign))
            {
                var start = e.EventTime - ((e.EventTime % 10_000) + 10_000) % 10_000;
                if (start + 10_000 - 1 > _watermark)
                {
                    ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, (campaign, start), out _);
                    c++;
                }
            }
            if (e.EventTime > _maxTs) _maxTs = e.EventTime;
            if (++_n % watermarkEvery == 0) _watermark = Math.Max(_watermark, _maxTs - 5_000 - 1);
            return this;
        }
    }
}
