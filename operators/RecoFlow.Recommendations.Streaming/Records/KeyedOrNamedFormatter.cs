using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace RecoFlow.Recommendations.Streaming.Records;

/// <summary>
/// Writes <typeparamref name="T"/> as the array of its <c>[Key]</c> members, and reads that or the map of member names
/// that state written before the type had keys holds (the contractless form), so checkpoints and savepoints of either
/// form restore. For the model versions a scoring task keeps and checkpoints: the names made up a third of their bytes.
/// </summary>
public sealed class KeyedOrNamedFormatter<T> : IMessagePackFormatter<T?> where T : class
{
    private static readonly IMessagePackFormatter<T> Keyed = DynamicObjectResolver.Instance.GetFormatterWithVerify<T>();
    private static readonly IMessagePackFormatter<T> Named = DynamicContractlessObjectResolver.Instance.GetFormatterWithVerify<T>();

    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options) =>
        Keyed.Serialize(ref writer, value!, options);

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        (reader.NextMessagePackType == MessagePackType.Map ? Named : Keyed).Deserialize(ref reader, options);
}
