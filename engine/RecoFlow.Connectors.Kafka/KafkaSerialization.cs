using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using MessagePack;

namespace RecoFlow.Connectors.Kafka;

/// <summary>JSON settings of the Kafka connectors: snake_case names, as the event formats use.</summary>
public static class KafkaJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
    };
}

/// <summary>
/// Ready-made value deserializers for <see cref="KafkaSource{T}"/>. A deserializer gets the whole record (key, value,
/// headers, topic, partition, offset); throwing sends the record to the dead-letter topic.
/// </summary>
public static class KafkaDeserializers
{
    /// <summary>JSON (System.Text.Json; snake_case unless <paramref name="options"/> says otherwise). A null or empty value is an error.</summary>
    public static Func<ConsumeResult<byte[], byte[]>, T> Json<T>(JsonSerializerOptions? options = null)
    {
        var o = options ?? KafkaJson.Options;
        return r => r.Message.Value is { Length: > 0 } v
            ? JsonSerializer.Deserialize<T>(v, o) ?? throw new FormatException("JSON null record")
            : throw new FormatException("empty record value");
    }

    /// <summary>MessagePack (the type needs MessagePack attributes unless <paramref name="options"/> uses a contractless resolver).</summary>
    public static Func<ConsumeResult<byte[], byte[]>, T> MessagePack<T>(MessagePackSerializerOptions? options = null) =>
        r => r.Message.Value is { Length: > 0 } v
            ? MessagePackSerializer.Deserialize<T>(v, options)
            : throw new FormatException("empty record value");

    /// <summary>The raw value bytes (null values become empty arrays).</summary>
    public static Func<ConsumeResult<byte[], byte[]>, byte[]> Bytes() => r => r.Message.Value ?? [];

    /// <summary>
    /// The value as UTF-8 text (null values become empty strings). A value that is not valid UTF-8 is an error (so the
    /// record is dead-lettered with the reason) rather than text with replacement characters.
    /// </summary>
    public static Func<ConsumeResult<byte[], byte[]>, string> Utf8String() =>
        r => r.Message.Value is not { } v ? ""
            : System.Text.Unicode.Utf8.IsValid(v) ? Encoding.UTF8.GetString(v)
            : throw new FormatException("the record value is not valid UTF-8");

    /// <summary>
    /// A Confluent deserializer (<c>Deserializers.Utf8</c>, or a Schema Registry Avro, JSON or Protobuf one), with the
    /// record's topic and headers as its context. <paramref name="create"/> runs once in each subtask, at its first
    /// record, so every subtask has its own instance (and its own Schema Registry client); what it throws dead-letters
    /// the record.
    /// </summary>
    public static Func<ConsumeResult<byte[], byte[]>, T> Confluent<T>(Func<IDeserializer<T>> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        var instance = new PerSubtask<IDeserializer<T>>(create);
        return r => instance.Get().Deserialize(r.Message.Value, r.Message.Value is null,
            new SerializationContext(MessageComponentType.Value, r.Topic, r.Message.Headers));
    }

    /// <summary>An asynchronous Confluent deserializer (the Schema Registry ones are), run synchronously on the source's thread; see <see cref="Confluent{T}"/>.</summary>
    public static Func<ConsumeResult<byte[], byte[]>, T> ConfluentAsync<T>(Func<IAsyncDeserializer<T>> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        return Confluent(() => global::Confluent.Kafka.SyncOverAsync.SyncOverAsyncDeserializerExtensionMethods.AsSyncOverAsync(create()));
    }
}

/// <summary>
/// An object a connector creates in each subtask on first use: the job's copy holds none yet, so every subtask's copy
/// (see <c>SubtaskCopy</c>) creates its own.
/// </summary>
internal sealed class PerSubtask<T>(Func<T> create) where T : class
{
    private T? _instance;

    public T Get() => _instance ??= create();
}

/// <summary>Ready-made value serializers for <see cref="KafkaSink{T}"/>.</summary>
public static class KafkaSerializers
{
    /// <summary>
    /// A Confluent serializer (<c>Serializers.Utf8</c>, or a Schema Registry Avro, JSON or Protobuf one) for the values
    /// written to <paramref name="topic"/> (the subject's topic). <paramref name="create"/> runs once in each subtask,
    /// at its first record, so every subtask has its own instance.
    /// </summary>
    public static Func<T, byte[]> Confluent<T>(Func<ISerializer<T>> create, string topic)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        var instance = new PerSubtask<ISerializer<T>>(create);
        return v => instance.Get().Serialize(v, new SerializationContext(MessageComponentType.Value, topic)) ?? [];
    }

    /// <summary>An asynchronous Confluent serializer (the Schema Registry ones are), run synchronously on the sink's thread; see <see cref="Confluent{T}"/>.</summary>
    public static Func<T, byte[]> ConfluentAsync<T>(Func<IAsyncSerializer<T>> create, string topic)
    {
        ArgumentNullException.ThrowIfNull(create);
        return Confluent(() => global::Confluent.Kafka.SyncOverAsync.SyncOverAsyncSerializerExtensionMethods.AsSyncOverAsync(create()), topic);
    }

    public static Func<T, byte[]> Json<T>(JsonSerializerOptions? options = null)
    {
        var o = options ?? KafkaJson.Options;
        return v => JsonSerializer.SerializeToUtf8Bytes(v, o);
    }

    public static Func<T, byte[]> MessagePack<T>(MessagePackSerializerOptions? options = null) =>
        v => MessagePackSerializer.Serialize(v, options);

    public static Func<string, byte[]> Utf8String() => Encoding.UTF8.GetBytes;
}
