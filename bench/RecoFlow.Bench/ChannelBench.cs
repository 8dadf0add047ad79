using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using MessagePack;
using MessagePack.Resolvers;
using RecoFlow.Cluster.Hosting;
using RecoFlow.Cluster.Serialization;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime.Channels;

namespace RecoFlow.Bench;

/// <summary>
/// Records/s across one cross-node channel: two actor systems in this process, linked by Akka.Remote over loopback
/// TCP with the node's serialization config. A sender keeps as many batches of 1,024 records in flight as a channel
/// has credits (4) and sends the next one for each <see cref="CreditMessage"/> the receiver answers, as tasks do.
/// Then the serializer alone (serialise + deserialise a batch) against the previous batch codec (records copied into
/// a wire object first) and plain MessagePack of the same record array. Each record type is measured positionally
/// (<c>[MessagePackObject]</c>/<c>[Key]</c>, as YSB's records are) and as an identical type without attributes (the
/// contractless fallback every user type gets: a map keyed by member names, which is how YSB's records travelled before).
/// </summary>
internal static class ChannelBench
{
    private const int BatchSize = 1024;
    private const int Credits = 4;

    public sealed record Row(string Record, string Encoding, double ChannelRecordsPerSecond, double SerializerRecordsPerSecond,
        double PreviousCodecRecordsPerSecond, double PlainRecordsPerSecond, double BytesPerRecord);

    public sealed record Result(int Runs, int ChannelBatches, IReadOnlyList<Row> Rows);

    private interface ICase
    {
        string Record { get; }
        string Encoding { get; }
        double BytesPerRecord(RecoFlowMessagePackSerializer serializer);
        Task<double> ChannelAsync(ActorSystem sender, IActorRef receiverProbe, int batches, CancellationToken ct);
        (double Serializer, double PreviousCodec, double Plain) Codecs(RecoFlowMessagePackSerializer serializer, int iterations);
        Props ReceiverProps();
    }

    public static async Task<Result> RunAsync(bool quick, TextWriter log, CancellationToken ct)
    {
        var sender = Start();
        var receiver = Start();
        try
        {
            ICase[] cases =
            [
                new Case<YsbEvent>("YsbEvent", "positional", i => new YsbEvent($"user-{i % 100_000}", $"page-{i % 10_000}", $"ad-{i % 1000}", "banner", "view", 1_700_000_000_000 + i, $"10.0.{i % 256}.{i / 256 % 256}")),
                new Case<YsbEventFields>("YsbEvent", "map (no attributes)", i => new YsbEventFields($"user-{i % 100_000}", $"page-{i % 10_000}", $"ad-{i % 1000}", "banner", "view", 1_700_000_000_000 + i, $"10.0.{i % 256}.{i / 256 % 256}")),
                new Case<CampaignView>("CampaignView", "positional", i => new CampaignView($"campaign-{i % 100}", 1_700_000_000_000 + i)),
                new Case<CampaignViewFields>("CampaignView", "map (no attributes)", i => new CampaignViewFields($"campaign-{i % 100}", 1_700_000_000_000 + i)),
            ];
            var serializer = (RecoFlowMessagePackSerializer)sender.Serialization.FindSerializerForType(typeof(DataBatch<YsbEvent>));
            var address = ((ExtendedActorSystem)receiver).Provider.DefaultAddress;
            var receivers = new IActorRef[cases.Length];
            for (var c = 0; c < cases.Length; c++)
            {
                receiver.ActorOf(cases[c].ReceiverProps(), $"receiver-{c}");
                receivers[c] = await sender.ActorSelection(new RootActorPath(address) / "user" / $"receiver-{c}").ResolveOne(TimeSpan.FromSeconds(10), ct);
            }
            var runs = quick ? 3 : 5;
            var batches = quick ? 400 : 1000;
            var iterations = quick ? 300 : 1000;
            var samples = cases.Select(_ => (Channel: new List<double>(), Ser: new List<double>(), Prev: new List<double>(), Plain: new List<double>())).ToArray();
            for (var run = 0; run < runs + 1; run++)
                for (var c = 0; c < cases.Length; c++)
                {
                    ct.ThrowIfCancellationRequested();
                    var channel = await cases[c].ChannelAsync(sender, receivers[c], batches, ct);
                    var (ser, prev, plain) = cases[c].Codecs(serializer, iterations);
                    log.WriteLine($"  {cases[c].Record} {cases[c].Encoding}{(run == 0 ? " (warm-up)" : "")}: channel {channel:N0}/s, serializer {ser:N0}/s, previous codec {prev:N0}/s, plain {plain:N0}/s");
                    if (run == 0) continue;
                    samples[c].Channel.Add(channel);
                    samples[c].Ser.Add(ser);
                    samples[c].Prev.Add(prev);
                    samples[c].Plain.Add(plain);
                }
            return new Result(runs, batches, [.. cases.Select((k, c) => new Row(k.Record, k.Encoding, BenchDoc.Median(samples[c].Channel), BenchDoc.Median(samples[c].Ser),
                BenchDoc.Median(samples[c].Prev), BenchDoc.Median(samples[c].Plain), k.BytesPerRecord(serializer)))]);
        }
        finally
        {
            await Task.WhenAll(sender.Terminate(), receiver.Terminate());
        }
    }

    private static ActorSystem Start() => ActorSystem.Create("recoflow", ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.actor.serialize-messages = off
        akka.loglevel = WARNING
        """).WithFallback(NodeSettings.DefaultConfig));

    public static string Render(Result r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"**One cross-node channel.** Two actor systems in the bench process linked by Akka.Remote over loopback TCP with the node's serialization config; {r.ChannelBatches} batches of {BatchSize:N0} records per measurement, {Credits} batches in flight, the receiver answering each with a credit as a task does. \"serializer\" = `RecoFlowMessagePackSerializer` alone (serialise + deserialise a batch); \"previous codec\" = the batch codec before this version (records and timestamps copied into a wire object, then serialised; read back the same way); \"plain MessagePack\" = the record array with the contractless resolver, no batch. \"map (no attributes)\" is an identical record type without MessagePack attributes: the contractless fallback every user type gets, and how YSB's records travelled before they got positional keys. Medians of {r.Runs} runs after a warm-up, all rows alternating.");
        sb.AppendLine();
        sb.AppendLine("| record | encoding | across one channel, records/s | serializer round trip, records/s | previous codec, records/s | plain MessagePack, records/s | bytes/record |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var x in r.Rows)
            sb.AppendLine($"| {x.Record} | {x.Encoding} | {x.ChannelRecordsPerSecond:N0} | {x.SerializerRecordsPerSecond:N0} | {x.PreviousCodecRecordsPerSecond:N0} | {x.PlainRecordsPerSecond:N0} | {x.BytesPerRecord:F1} |");
        return sb.ToString();
    }

    private sealed class Case<T>(string record, string encoding, Func<long, T> make) : ICase
    {
        private static readonly MessagePackSerializerOptions Contractless = ContractlessStandardResolver.Options.WithSecurity(MessagePackSecurity.TrustedData);
        private readonly StreamRecord<T>[][] _batches = [.. Enumerable.Range(0, 16).Select(b => Enumerable.Range(0, BatchSize)
            .Select(i => new StreamRecord<T> { Value = make((long)b * BatchSize + i), Timestamp = 1_700_000_000_000 + (long)b * BatchSize + i }).ToArray())];

        public string Record => record;
        public string Encoding => encoding;

        private DataBatch<T> Batch(long seq) => new() { Channel = 0, Seq = seq, Attempt = 1, Records = _batches[seq % _batches.Length], Count = BatchSize };

        public Props ReceiverProps() => Props.Create(() => new Receiver<T>());

        public double BytesPerRecord(RecoFlowMessagePackSerializer serializer) => (double)serializer.ToBinary(Batch(1)).Length / BatchSize;

        public async Task<double> ChannelAsync(ActorSystem sender, IActorRef receiver, int batches, CancellationToken ct)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clock = Stopwatch.StartNew();
            Func<long, DataBatch<T>> batch = Batch;
            var pump = sender.ActorOf(Props.Create(() => new Pump<T>(receiver, batch, batches, done)));
            try
            {
                await done.Task.WaitAsync(TimeSpan.FromMinutes(2), ct);
            }
            finally
            {
                sender.Stop(pump);
            }
            return (double)batches * BatchSize / clock.Elapsed.TotalSeconds;
        }

        /// <summary>
        /// Round trips of whole batches through the three codecs, interleaved in rounds of ten batches (the order
        /// rotating), so that all three see the same machine; records/s of each.
        /// </summary>
        public (double Serializer, double PreviousCodec, double Plain) Codecs(RecoFlowMessagePackSerializer serializer, int iterations)
        {
            var manifest = serializer.Manifest(Batch(1));
            var arrays = _batches.Select(b => b.Select(r => r.Value).ToArray()).ToArray();
            Action<long>[] codecs =
            [
                seq => Check(((DataBatch<T>)serializer.FromBinary(serializer.ToBinary(Batch(seq)), manifest)).Count),
                seq => Check(PreviousRoundTrip(Batch(seq)).Count),
                seq => Check(MessagePackSerializer.Deserialize<T[]>(MessagePackSerializer.Serialize(arrays[seq % arrays.Length], Contractless), Contractless).Length),
            ];
            var ticks = new long[codecs.Length];
            const int round = 10;
            for (var i = 0; i < iterations / round; i++)
                for (var k = 0; k < codecs.Length; k++)
                {
                    var c = (i + k) % codecs.Length;
                    var start = Stopwatch.GetTimestamp();
                    for (var j = 0; j < round; j++) codecs[c](i * round + j + 1);
                    ticks[c] += Stopwatch.GetTimestamp() - start;
                }
            double Rate(long t) => (double)(iterations / round * round) * BatchSize / ((double)t / Stopwatch.Frequency);
            return (Rate(ticks[0]), Rate(ticks[1]), Rate(ticks[2]));
        }

        private static void Check(int count)
        {
            if (count != BatchSize) throw new InvalidOperationException("channel bench: records lost in a round trip");
        }

        /// <summary>The previous batch codec: values and timestamps copied into a wire object, serialised, and copied back.</summary>
        private static DataBatch<T> PreviousRoundTrip(DataBatch<T> b)
        {
            var values = new T[b.Count];
            var timestamps = new long[b.Count];
            for (var j = 0; j < b.Count; j++)
            {
                values[j] = b.Records[j].Value;
                timestamps[j] = b.Records[j].Timestamp;
            }
            var bytes = MessagePackSerializer.Serialize(new PreviousBatchWire<T>(b.Channel, b.Seq, b.Attempt, values, timestamps), Contractless);
            var w = MessagePackSerializer.Deserialize<PreviousBatchWire<T>>(bytes, Contractless);
            var records = new StreamRecord<T>[w.Values.Length];
            for (var j = 0; j < records.Length; j++) records[j] = new StreamRecord<T> { Value = w.Values[j], Timestamp = w.Timestamps[j] };
            return new DataBatch<T> { Channel = w.Channel, Seq = w.Seq, Attempt = w.Attempt, Records = records, Count = records.Length };
        }
    }

    /// <summary>Keeps <see cref="Credits"/> batches in flight; one more per credit, until all are acknowledged.</summary>
    private sealed class Pump<T> : ReceiveActor
    {
        public Pump(IActorRef receiver, Func<long, DataBatch<T>> batch, int total, TaskCompletionSource done)
        {
            long sent = 0, acked = 0;
            void Send() => receiver.Tell(batch(++sent), Self);
            Receive<CreditMessage>(_ =>
            {
                if (++acked == total) done.TrySetResult();
                else if (sent < total) Send();
            });
            for (var i = 0; i < Credits && i < total; i++) Send();
        }
    }

    /// <summary>Checks sequence numbers as a task's input would and answers every batch with one credit.</summary>
    private sealed class Receiver<T> : ReceiveActor
    {
        public Receiver()
        {
            Receive<DataBatch<T>>(b =>
            {
                if (b.Count != BatchSize) throw new InvalidOperationException($"channel bench: batch {b.Seq} has {b.Count} records");
                Sender.Tell(new CreditMessage(0, b.Channel, 1, b.Attempt));
            });
        }
    }
}

/// <summary>The batch codec's wire object before records were written straight into the buffer (kept for the bench's comparison).</summary>
[MessagePackObject]
public sealed record PreviousBatchWire<T>([property: Key(0)] int Channel, [property: Key(1)] long Seq, [property: Key(2)] int Attempt,
    [property: Key(3)] T[] Values, [property: Key(4)] long[] Timestamps);

/// <summary><see cref="YsbEvent"/> without MessagePack attributes: what the contractless fallback writes (a map keyed by member names).</summary>
public sealed record YsbEventFields(string UserId, string PageId, string AdId, string AdType, string EventType, long EventTime, string IpAddress);

/// <summary><see cref="CampaignView"/> without MessagePack attributes.</summary>
public readonly record struct CampaignViewFields(string CampaignId, long EventTime);
