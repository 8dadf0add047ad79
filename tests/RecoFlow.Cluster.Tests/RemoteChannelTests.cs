using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using RecoFlow.Cluster.Hosting;
using RecoFlow.Cluster.Serialization;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime.Channels;
using Xunit.Abstractions;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Channel messages over a real Akka.Remote link between two actor systems (loopback TCP) with the node's
/// serialization bindings: data batches arrive complete and in order, and the rate is what a cross-node channel gets.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RemoteChannelTests(ITestOutputHelper log) : IAsyncLifetime
{
    private ActorSystem _sender = null!;
    private ActorSystem _receiver = null!;

    private static ActorSystem Start() => ActorSystem.Create("recoflow", ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.actor.serialize-messages = off
        """).WithFallback(NodeSettings.DefaultConfig));

    public Task InitializeAsync()
    {
        _sender = Start();
        _receiver = Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Task.WhenAll(_sender.Terminate(), _receiver.Terminate());

    private sealed record Expect(int Batches, IActorRef ReplyTo);
    private sealed record Received(long Records, long LastSeq, string? Error);

    /// <summary>Checks sequence numbers and record contents as a task's input would, and answers when all batches arrived.</summary>
    private sealed class Receiver : ReceiveActor
    {
        public Receiver()
        {
            long records = 0, seq = 0, batches = 0;
            string? error = null;
            Expect? expect = null;
            Receive<Expect>(e => expect = e);
            Receive<DataBatch<YsbEvent>>(b =>
            {
                if (b.Seq != seq + 1) error ??= $"batch {b.Seq} after {seq}";
                seq = b.Seq;
                for (var i = 0; i < b.Count; i++)
                    if (b.Records[i].Value.EventTime != b.Records[i].Timestamp || b.Records[i].Value.AdId != $"ad-{b.Records[i].Timestamp % 100}")
                        error ??= $"record {i} of batch {b.Seq} differs";
                records += b.Count;
                if (++batches == expect?.Batches) expect.ReplyTo.Tell(new Received(records, seq, error));
            });
            Receive<WatermarkMessage>(_ => { });
        }
    }

    [Fact]
    public async Task Data_batches_cross_a_remote_link_complete_and_in_order()
    {
        var receiver = _receiver.ActorOf(Props.Create(() => new Receiver()), "task-2-0");
        var address = ((ExtendedActorSystem)_receiver).Provider.DefaultAddress;
        var remote = await _sender.ActorSelection(new RootActorPath(address) / "user" / "task-2-0").ResolveOne(TimeSpan.FromSeconds(10));
        Assert.IsType<RecoFlowMessagePackSerializer>(_sender.Serialization.FindSerializerForType(typeof(DataBatch<YsbEvent>)));

        const int batches = 300, size = 1024;
        var done = _sender.ActorOf(Props.Create(() => new Collector()), "collector");
        var result = done.Ask<Received>(new Collector.Wait(), TimeSpan.FromSeconds(60));
        receiver.Tell(new Expect(batches, done));
        var sw = Stopwatch.StartNew();
        for (var b = 1; b <= batches; b++)
        {
            var records = new StreamRecord<YsbEvent>[size];
            for (var i = 0; i < size; i++)
            {
                long t = (long)b * size + i;
                records[i] = new StreamRecord<YsbEvent> { Value = new YsbEvent($"user-{t % 1000}", $"page-{t % 50}", $"ad-{t % 100}", "banner", "view", t, "10.0.0.1"), Timestamp = t };
            }
            remote.Tell(new DataBatch<YsbEvent> { Channel = 0, Seq = b, Attempt = 1, Records = records, Count = size });
            if (b % 50 == 0) remote.Tell(new WatermarkMessage { Channel = 0, Seq = 0, Attempt = 1, Watermark = (long)b * size });
        }
        var r = await result;
        sw.Stop();
        var ser = (RecoFlowMessagePackSerializer)_sender.Serialization.FindSerializerForType(typeof(DataBatch<YsbEvent>));
        var sample = new DataBatch<YsbEvent> { Channel = 0, Seq = 1, Attempt = 1, Count = size, Records = Enumerable.Range(0, size).Select(i => new StreamRecord<YsbEvent> { Value = new YsbEvent($"user-{i}", "page-1", "ad-1", "banner", "view", i, "10.0.0.1"), Timestamp = i }).ToArray() };
        var bytes = ser.ToBinary(sample);
        for (var i = 0; i < 20; i++) ser.FromBinary(ser.ToBinary(sample), ser.Manifest(sample));
        var local = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++) ser.FromBinary(ser.ToBinary(sample), ser.Manifest(sample));
        var plainValues = sample.Records.Select(x => x.Value).ToArray();
        var o = MessagePack.Resolvers.ContractlessStandardResolver.Options;
        for (var i = 0; i < 20; i++) MessagePack.MessagePackSerializer.Deserialize<YsbEvent[]>(MessagePack.MessagePackSerializer.Serialize(plainValues, o), o);
        var plain = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++) MessagePack.MessagePackSerializer.Deserialize<YsbEvent[]>(MessagePack.MessagePackSerializer.Serialize(plainValues, o), o);
        log.WriteLine($"plain MessagePack contractless YsbEvent[]: {100.0 * size / plain.Elapsed.TotalSeconds:N0} records/s round trip");
        log.WriteLine($"serializer alone: {100.0 * size / local.Elapsed.TotalSeconds:N0} records/s round trip, {bytes.Length / size} bytes/record");
        Assert.Null(r.Error);
        Assert.Equal(((long)batches * size, (long)batches), (r.Records, r.LastSeq));
        log.WriteLine($"{r.Records:N0} YSB records in {batches} batches over Akka.Remote (loopback): {r.Records / sw.Elapsed.TotalSeconds:N0} records/s");
    }

    private sealed class Collector : ReceiveActor
    {
        public sealed record Wait;

        public Collector()
        {
            IActorRef? waiting = null;
            Received? result = null;
            Receive<Wait>(_ =>
            {
                waiting = Sender;
                if (result is not null) waiting.Tell(result);
            });
            Receive<Received>(r =>
            {
                result = r;
                waiting?.Tell(r);
            });
        }
    }
}
