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
}

/// <summary>Ready-made value serializers for <see cref="KafkaSink{T}"/>.</summary>
public static class KafkaSerializers
{
    public static Func<T, byte[]> Json<T>(JsonSerializerOptions? options = null)
    {
        var o = options ?? KafkaJson.Options;
        return v => JsonSerializer.SerializeToUtf8Bytes(v, o);
    }

    public static Func<T, byte[]> MessagePack<T>(MessagePackSerializerOptions? options = null) =>
        v => MessagePackSerializer.Serialize(v, options);

    public static Func<string, byte[]> Utf8String() => Encoding.UTF8.GetBytes;
}
