using System.Text;
using Confluent.Kafka;
using RecoFlow.Api.Functions;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Kafka.Tests;

/// <summary>Confluent's serializers and deserializers (sync and async, as Schema Registry's are) in the Kafka connectors.</summary>
public sealed class ConfluentSerdeTests
{
    private static ConsumeResult<byte[], byte[]> Record(byte[]? value, Headers? headers = null) => new()
    {
        Topic = "orders",
        Partition = 2,
        Offset = 7,
        Message = new Message<byte[], byte[]> { Value = value!, Headers = headers ?? [] },
    };

    /// <summary>Reads the value as UTF-8 and records the context it was given.</summary>
    private sealed class Recording : IDeserializer<string>, IAsyncDeserializer<string>
    {
        public static int Created;
        public Recording() => Interlocked.Increment(ref Created);
        public SerializationContext Context { get; private set; }

        public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            Context = context;
            return isNull ? "<null>" : Encoding.UTF8.GetString(data);
        }

        public Task<string> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context) =>
            Task.FromResult(Deserialize(data.Span, isNull, context));
    }

    [Fact]
    public void A_confluent_deserializer_gets_the_value_with_the_records_topic_and_headers()
    {
        Recording? seen = null;
        var read = KafkaDeserializers.Confluent<string>(() => seen = new Recording());
        var headers = new Headers { { "schema", "v2"u8.ToArray() } };
        Assert.Equal("hello", read(Record("hello"u8.ToArray(), headers)));
        Assert.Equal(("orders", MessageComponentType.Value), (seen!.Context.Topic, seen.Context.Component));
        Assert.Equal("v2"u8.ToArray(), seen.Context.Headers.GetLastBytes("schema"));
        Assert.Equal("<null>", read(Record(null)));
        Assert.Equal("ü", KafkaDeserializers.Confluent(() => Deserializers.Utf8)(Record("ü"u8.ToArray())));
    }

    [Fact]
    public void An_asynchronous_deserializer_runs_on_the_sources_thread()
    {
        Assert.Equal("async", KafkaDeserializers.ConfluentAsync<string>(() => new Recording())(Record("async"u8.ToArray())));
    }

    [Fact]
    public void Each_subtask_copy_creates_its_own_deserializer_at_its_first_record()
    {
        var read = KafkaDeserializers.Confluent<string>(() => new Recording());
        var before = Volatile.Read(ref Recording.Created);
        var copy = SubtaskCopy.Of(read);
        read(Record("a"u8.ToArray()));
        read(Record("b"u8.ToArray()));
        Assert.Equal(before + 1, Volatile.Read(ref Recording.Created));
        copy(Record("c"u8.ToArray()));
        Assert.Equal(before + 2, Volatile.Read(ref Recording.Created));
    }

    [Fact]
    public void A_confluent_serializer_writes_values_for_the_sinks_topic()
    {
        Assert.Equal("ü"u8.ToArray(), KafkaSerializers.Confluent(() => Serializers.Utf8, "orders")("ü"));
        var async = KafkaSerializers.ConfluentAsync<string>(() => new TopicEcho(), "orders");
        Assert.Equal("orders:x"u8.ToArray(), async("x"));
        Assert.Throws<ArgumentException>(() => KafkaSerializers.Confluent(() => Serializers.Utf8, " "));
    }

    private sealed class TopicEcho : IAsyncSerializer<string>
    {
        public Task<byte[]> SerializeAsync(string data, SerializationContext context) => Task.FromResult(Encoding.UTF8.GetBytes($"{context.Topic}:{data}"));
    }
}
