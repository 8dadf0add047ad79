using System.Text;
using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Connectors.Files;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Jobs.Ysb;

/// <summary>
/// Where the YSB job reads its ad events: a JSON Lines file (<c>source=file</c>, the default) or a Kafka topic
/// (<c>source=kafka</c>, one JSON event per message; a message that does not parse goes to <c>&lt;topic&gt;.dlq</c>).
/// </summary>
public static class YsbSources
{
    /// <summary>The parameters of the source selection (part of <see cref="YsbJob.Parameters"/>).</summary>
    public static IReadOnlyList<JobParameter> Parameters { get; } =
    [
        new("source", "where events come from: file (parameter input) or kafka (parameters bootstrap, topic)", "file"),
        new("input", "source=file: JSON Lines file of ad events"),
        new("bootstrap", "source=kafka: bootstrap servers host:port[,host:port]"),
        new("topic", "source=kafka: topic of ad events (JSON, one per message); bad messages go to <topic>.dlq"),
        new("start", "source=kafka: where a fresh run starts: earliest, latest or committed (the group's offsets, else earliest)", "earliest"),
        new("bounded", "source=kafka: 'latest' stops at the partitions' end offsets seen at start (default: unbounded)"),
        new("group", "source=kafka: consumer group for start=committed and for committing checkpointed offsets", "recoflow-ysb"),
        new("source-parallelism", "parallel source tasks (Kafka partitions are spread over them)", "1"),
    ];

    /// <summary>Builds the source the parameters select; throws <see cref="JobParameterException"/> naming a missing or invalid parameter.</summary>
    public static ISource<YsbEvent> Create(JobParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var kind = p.GetString("source");
        switch (kind)
        {
            case "file":
                foreach (var name in new[] { "bootstrap", "topic", "bounded" })
                    if (p.Values.ContainsKey(name)) throw new JobParameterException($"parameter '{name}' needs source=kafka");
                var input = p.GetOptionalString("input") ?? throw new JobParameterException("missing parameter 'input' (source=file reads a JSON Lines file)");
                if (!File.Exists(input)) throw new JobParameterException($"parameter 'input': file not found: {input}");
                return new JsonLinesFileSource<YsbEvent>([input], YsbEvent.Parse);
            case "kafka":
                if (p.Values.ContainsKey("input")) throw new JobParameterException("parameter 'input' needs source=file");
                var bootstrap = p.GetOptionalString("bootstrap");
                if (string.IsNullOrWhiteSpace(bootstrap)) throw new JobParameterException("missing parameter 'bootstrap' (source=kafka needs host:port)");
                var topic = p.GetOptionalString("topic");
                if (string.IsNullOrWhiteSpace(topic)) throw new JobParameterException("missing parameter 'topic' (source=kafka needs a topic)");
                var start = p.GetString("start") switch
                {
                    "earliest" => KafkaStartMode.Earliest,
                    "latest" => KafkaStartMode.Latest,
                    "committed" => KafkaStartMode.Committed,
                    var s => throw new JobParameterException($"parameter 'start' must be earliest, latest or committed, got '{s}'"),
                };
                var stop = p.GetOptionalString("bounded") switch
                {
                    null => KafkaStopMode.Never,
                    "latest" => KafkaStopMode.Latest,
                    var s => throw new JobParameterException($"parameter 'bounded' must be latest (or absent for an unbounded source), got '{s}'"),
                };
                return Kafka(new KafkaSourceOptions
                {
                    BootstrapServers = bootstrap,
                    Topics = [topic],
                    StartFrom = start,
                    StopAt = stop,
                    GroupId = p.GetString("group"),
                });
            default:
                throw new JobParameterException($"parameter 'source' must be file or kafka, got '{kind}'");
        }
    }

    /// <summary>The source's parallelism (parameter <c>source-parallelism</c>, at least 1).</summary>
    public static int Parallelism(JobParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var n = p.GetInt("source-parallelism");
        return n >= 1 ? n : throw new JobParameterException("parameter 'source-parallelism' must be at least 1");
    }

    /// <summary>A Kafka source of YSB events: each message value is one JSON event (<see cref="YsbEvent.Parse"/>).</summary>
    public static KafkaSource<YsbEvent> Kafka(KafkaSourceOptions options) =>
        new(options, r => r.Message.Value is { Length: > 0 } v ? YsbEvent.Parse(Encoding.UTF8.GetString(v)) : throw new FormatException("empty message"));
}
