using System.Text;
using Confluent.Kafka;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;
using RecoFlow.Connectors.Memory;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Ingest;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;
using static RecoFlow.Kafka.Tests.KafkaTestData;

namespace RecoFlow.Kafka.Tests;

/// <summary>
/// The recommendation job's Kafka source path (<see cref="KafkaSource.Strings"/>, then <see cref="ValidateInteractions"/>)
/// against hostile records: a value that is not UTF-8 goes to the dead-letter topic and the job's dead letters with the
/// reason; deep nesting, wrong types, unknown fields and oversized events are the validation step's dead letters with
/// the parser's reason; the valid events are kept.
/// </summary>
[Trait("Category", "Slow")]
public sealed class KafkaHostileInputTests
{
    private static string Event(string id, string user = "alice", string extra = "") =>
        "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"item_id\":\"item-7\",\"type\":\"click\",\"ts\":1700000000000" + extra
        + ",\"consent\":{\"personalization\":true}}";

    [Fact]
    public async Task Malformed_records_are_dead_letters_with_their_reason_and_the_valid_ones_are_kept()
    {
        await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = 0, Brokers = 1, Topics = [("interactions", 1), ("interactions.dlq", 1)] });
        var notUtf8 = Encoding.UTF8.GetBytes(Event("utf8", user: "XX"));
        var at = Array.IndexOf(notUtf8, (byte)'X');
        notUtf8[at] = 0xC3;
        notUtf8[at + 1] = 0x28;
        byte[][] values =
        [
            Encoding.UTF8.GetBytes(Event("ok-1")),
            notUtf8,
            Encoding.UTF8.GetBytes("{\"event_id\":" + new string('[', 10_000) + new string(']', 10_000) + "}"),
            Encoding.UTF8.GetBytes("""{"event_id":"wrong","user_id":true,"item_id":"i","type":"click","ts":1}"""),
            Encoding.UTF8.GetBytes(Event("unknown", extra: ",\"referrer\":\"https://example.com\"")),
            Encoding.UTF8.GetBytes(Event("large", user: new string('u', 100_000))),
            Encoding.UTF8.GetBytes(Event("ok-2", user: "bob")),
        ];
        Produce(broker.BootstrapServers, "interactions", values.Select((v, i) => (0, (string?)null, v, 1_700_000_000_000L + i)).ToList());

        var source = KafkaSource.Strings(new KafkaSourceOptions { BootstrapServers = broker.BootstrapServers, Topics = ["interactions"], StopAt = KafkaStopMode.Latest, Log = new LogCapture().Log });
        var job = new StreamJob("hostile-interactions");
        var sink = new CollectSink<Interaction>();
        job.FromSource(source, WatermarkStrategy<string>.NoWatermarks(), "interactions").Process(new ValidateInteractions(), "validate").SinkTo(sink);
        await using var runtime = LocalRuntime.Start();
        var client = runtime.Submit(job.Build());
        Assert.Equal(JobState.Finished, (await client.WaitAsync().WaitAsync(TestTimeout)).State);

        Assert.Equal(["ok-1", "ok-2"], sink.Items.Select(e => e.EventId).Order());
        var reasons = client.DeadLetters.Select(d => d.Reason).ToList();
        Assert.Equal(5, reasons.Count);
        Assert.Single(reasons, r => r == "interactions-0@1: FormatException: the record value is not valid UTF-8");
        Assert.Single(reasons, r => r.StartsWith("MalformedJson at '$'", StringComparison.Ordinal) && r.Contains("depth", StringComparison.Ordinal));
        Assert.Single(reasons, r => r == "WrongType at 'user_id': must be a string or an integer");
        Assert.Single(reasons, r => r == "UnknownField at 'referrer': field is not part of the schema");
        Assert.Single(reasons, r => r.StartsWith("TooLarge at '$'", StringComparison.Ordinal));

        var dlq = Assert.Single(ConsumeAll(broker.BootstrapServers, "interactions.dlq", 1));
        Assert.Equal(notUtf8, dlq.Message.Value);
        Assert.Equal("FormatException: the record value is not valid UTF-8", Encoding.UTF8.GetString(dlq.Message.Headers.GetLastBytes("error")));
    }
}
