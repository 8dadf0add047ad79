using Confluent.Kafka;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The transactional ids of an exactly-once sink (Flink: TransactionalIdFactory, which builds
/// "{prefix}-{subtask}-{checkpoint offset}"; here the last part is the slot in the subtask's producer pool, so ids are
/// reused and a restart knows every id a subtask may have left a transaction open on).
/// </summary>
internal static class TransactionalIdFactory
{
    /// <summary><see cref="KafkaSinkOptions.TransactionalIdPrefix"/>, default "recoflow-{topic}-{operator id}": unique per sink, stable across restarts.</summary>
    public static string PrefixOf(KafkaSinkOptions options, SinkContext context) =>
        options.TransactionalIdPrefix ?? $"recoflow-{options.Topic}-{context.OperatorId}";

    /// <summary>The id of pool slot <paramref name="slot"/> of subtask <paramref name="subtask"/>.</summary>
    public static string Of(string prefix, int subtask, int slot) => $"{prefix}-{subtask}-{slot}";

    /// <summary>
    /// The id recovery sends the kept records of epoch <paramref name="checkpointId"/> of <paramref name="subtask"/>
    /// again with: derived from both, so a recovery that died half-way is fenced by the next one.
    /// </summary>
    public static string Recovery(string prefix, int subtask, long checkpointId) => $"{prefix}-{subtask}-cp{checkpointId}";

    /// <summary>The default commit marker topic of a sink: its prefix with ".commits", made a legal topic name.</summary>
    public static string MarkerTopicOf(string prefix)
    {
        var name = string.Concat(prefix.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_')) + ".commits";
        return name.Length <= 249 ? name : name[^249..];
    }

    /// <summary>The one id of a subtask's writer from before the pool (handles with Subtask -1 name it).</summary>
    public static string SingleProducerId(string prefix, int subtask) => $"{prefix}-{subtask}";

    /// <summary>Makes <paramref name="config"/> a pool producer's: its transactional id and a client id naming subtask and slot.</summary>
    public static void Configure(ProducerConfig config, string transactionalId, int subtask, int slot)
    {
        Configure(config, transactionalId);
        config.ClientId = $"recoflow-sink-{subtask}-{slot}";
    }

    /// <summary>Makes <paramref name="config"/> transactional (a fencing producer keeps the sink's client id).</summary>
    public static void Configure(ProducerConfig config, string transactionalId)
    {
        config.TransactionalId = transactionalId;
        config.EnableIdempotence = true;
    }
}
