using System.CommandLine;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Kafka.DevBroker;

namespace RecoFlow.Cli;

/// <summary><c>recoflow dev-broker</c>, <c>produce</c> and <c>consume</c>: the development Kafka broker and two small clients.</summary>
public static class KafkaCommands
{
    public static IEnumerable<Command> Create(TextWriter output)
    {
        var port = new Option<int>("--port") { Description = "advertised port of the first broker", DefaultValueFactory = _ => 9092 };
        var brokers = new Option<int>("--brokers") { Description = "number of brokers (1-3)", DefaultValueFactory = _ => 1 };
        var topics = new Option<string[]>("--topic") { Description = "topic to create, name:partitions (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        var broker = new Command("dev-broker", "run a development Kafka broker (librdkafka's mock cluster) on a fixed address until stopped") { port, brokers, topics };
        broker.SetAction(async (r, ct) =>
        {
            var specs = new List<(string, int)>();
            foreach (var t in r.GetValue(topics) ?? [])
            {
                try { specs.Add(DevBrokerOptions.ParseTopic(t)); }
                catch (ArgumentException e) { throw new UsageException($"--topic '{t}': {e.Message}"); }
            }
            var count = r.GetValue(brokers);
            if (count is < 1 or > 3) throw new UsageException("--brokers must be 1, 2 or 3");
            try
            {
                return await DevBrokerCommand.RunAsync(new DevBrokerOptions { Port = r.GetValue(port), Brokers = count, Topics = specs }, ct, output);
            }
            catch (IOException e) { throw new UsageException(e.Message); }
        });

        var bootstrap = new Option<string>("--bootstrap") { Description = "bootstrap servers host:port", Required = true };
        var topic = new Option<string>("--topic") { Description = "topic", Required = true };
        var file = new Option<string>("--file") { Description = "JSON Lines file to produce", Required = true };
        var rate = new Option<double?>("--rate") { Description = "messages per second (default: as fast as possible)" };
        var key = new Option<string?>("--key") { Description = "JSON field whose value is the message key" };
        var produce = new Command("produce", "produce a JSON Lines file to a topic, one message per line (keyless ones round robin over the partitions); exits with 1 when the broker dropped any of them") { bootstrap, topic, file, rate, key };
        produce.SetAction(async (r, ct) =>
        {
            var path = r.GetValue(file)!;
            if (!File.Exists(path)) throw new UsageException($"--file: file not found: {path}");
            var report = await KafkaTools.ProduceFileWithReportAsync(r.GetValue(bootstrap)!, r.GetValue(topic)!, path, r.GetValue(rate), r.GetValue(key), output, ct);
            // Messages the broker dropped are lost to every reader: that is a failure, not a detail.
            return report.Dropped > 0 ? 1 : 0;
        });

        var bootstrap2 = new Option<string>("--bootstrap") { Description = "bootstrap servers host:port", Required = true };
        var topic2 = new Option<string>("--topic") { Description = "topic", Required = true };
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "read from the earliest offset (default: only new messages)" };
        var max = new Option<long?>("--max") { Description = "stop after this many messages" };
        var consume = new Command("consume", "print a topic's messages, one value per line") { bootstrap2, topic2, fromBeginning, max };
        consume.SetAction(async (r, ct) =>
        {
            await KafkaTools.ConsumeAsync(r.GetValue(bootstrap2)!, r.GetValue(topic2)!, r.GetValue(fromBeginning), r.GetValue(max), output, ct);
            return 0;
        });
        return [broker, produce, consume];
    }
}
