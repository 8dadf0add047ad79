using MessagePack;
using MessagePack.Formatters;

namespace RecoFlow.Recommendations.Streaming.Records;

/// <summary>Why the scoring function emitted a list (<see cref="Recommendation.Trigger"/>).</summary>
[MessagePackFormatter(typeof(ListTriggerFormatter))]
public enum ListTrigger
{
    /// <summary>After one of the user's events: the list to show now.</summary>
    Interaction,

    /// <summary>Before a positive event, from the state before it (prequential evaluation); on <see cref="Scoring.ScoringFunction.ProbesOutput"/> only.</summary>
    Probe,

    /// <summary>Answer to a request for the user's current list.</summary>
    Request,

    /// <summary>The user's state was erased: an empty list, not for the screen.</summary>
    Erased,
}

/// <summary>The wire names of <see cref="ListTrigger"/>: the <c>trigger</c> of the JSON lists (docs/events.md).</summary>
public static class ListTriggers
{
    public static string ToWireName(this ListTrigger trigger) => trigger switch
    {
        ListTrigger.Interaction => "interaction",
        ListTrigger.Probe => "probe",
        ListTrigger.Request => "request",
        ListTrigger.Erased => "erased",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, "unknown list trigger"),
    };

    public static ListTrigger Parse(string wireName) => wireName switch
    {
        "interaction" => ListTrigger.Interaction,
        "probe" => ListTrigger.Probe,
        "request" => ListTrigger.Request,
        "erased" => ListTrigger.Erased,
        _ => throw new FormatException($"unknown list trigger '{wireName}' (expected interaction, probe, request or erased)"),
    };
}

/// <summary>
/// Stores a <see cref="ListTrigger"/> as its wire name, the string that state written before the enum existed holds
/// (the latest list per user is keyed state), so checkpoints and savepoints restore in both directions.
/// </summary>
public sealed class ListTriggerFormatter : IMessagePackFormatter<ListTrigger>
{
    public void Serialize(ref MessagePackWriter writer, ListTrigger value, MessagePackSerializerOptions options) => writer.Write(value.ToWireName());

    public ListTrigger Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        ListTriggers.Parse(reader.ReadString() ?? throw new MessagePackSerializationException("a list trigger is nil"));
}
