using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Runtime.Channels;

namespace RecoFlow.Cluster.Serialization;

/// <summary>
/// The wire format of every engine message that may cross the network: MessagePack, with a short string manifest per
/// message type (see <see cref="RemoteMessages"/>). Data batches carry their record type in the manifest
/// (<c>B|Full.Type.Name, Assembly</c>) and serialise the records with MessagePack's contractless resolver, so a record
/// type needs no attributes (it is then written as a map keyed by member names); a type with <c>[MessagePackObject]</c>
/// and <c>[Key(n)]</c> members is written positionally, as an array, which is smaller and faster. Actor references travel as their full paths; exceptions as type name and message
/// (a <see cref="RemoteFailureException"/> on the receiving side). Bound in the embedded cluster.conf.
/// </summary>
public sealed class RecoFlowMessagePackSerializer : SerializerWithStringManifest
{
    /// <summary>Akka serializer id (Akka reserves 0-100 for its own serializers).</summary>
    public const int SerializerIdentifier = 5301;

    private const string BatchPrefix = "B|";
    private readonly MessagePackSerializerOptions _options;
    private readonly MessagePackSerializerOptions _recordOptions;
    private readonly ConcurrentDictionary<Type, string> _batchManifests = new();
    private readonly ConcurrentDictionary<string, BatchCodec> _batchCodecs = new(StringComparer.Ordinal);

    public RecoFlowMessagePackSerializer(ExtendedActorSystem system) : base(system)
    {
        var resolver = CompositeResolver.Create(
            [new ActorRefFormatter(system), new ExceptionFormatter()],
            [ContractlessStandardResolverAllowPrivate.Instance]);
        _options = MessagePackSerializerOptions.Standard.WithResolver(resolver).WithSecurity(MessagePackSecurity.TrustedData);
        // Records of data batches: public types in the common case, where the plain contractless resolver is faster.
        _recordOptions = MessagePackSerializerOptions.Standard.WithResolver(CompositeResolver.Create(
            [new ActorRefFormatter(system), new ExceptionFormatter()],
            [ContractlessStandardResolver.Instance])).WithSecurity(MessagePackSecurity.TrustedData);
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o)
    {
        var type = o.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(DataBatch<>))
        {
            // Not cached for a record type of a submitted job (collectible): the cache would keep its assembly loaded.
            var recordType = type.GetGenericArguments()[0];
            return recordType.Assembly.IsCollectible ? BatchPrefix + TypeName(recordType) : _batchManifests.GetOrAdd(type, _ => BatchPrefix + TypeName(recordType));
        }
        return RemoteMessages.ManifestOf(type)
            ?? throw new ArgumentException($"{type.FullName} has no RecoFlow wire manifest: add it to RemoteMessages", nameof(o));
    }

    public override byte[] ToBinary(object obj)
    {
        var manifest = Manifest(obj);
        if (manifest.StartsWith(BatchPrefix, StringComparison.Ordinal))
        {
            var recordType = obj.GetType().GetGenericArguments()[0];
            return Codec(manifest, recordType).Serialize(obj, RecordOptions(recordType));
        }
        return MessagePackSerializer.Serialize(obj.GetType(), obj, _options);
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest.StartsWith(BatchPrefix, StringComparison.Ordinal))
        {
            var codec = Codec(manifest, null);
            return codec.Deserialize(bytes, RecordOptions(codec.RecordType));
        }
        var type = RemoteMessages.TypeOf(manifest) ?? throw new SerializationException($"unknown RecoFlow message manifest '{manifest}'");
        return MessagePackSerializer.Deserialize(type, bytes, _options)!;
    }

    /// <param name="recordType">The record type when serialising (known from the batch); null when reading (resolved from the manifest).</param>
    private BatchCodec Codec(string manifest, Type? recordType)
    {
        if (_batchCodecs.TryGetValue(manifest, out var cached)) return cached;
        recordType ??= Type.GetType(manifest[BatchPrefix.Length..], ResolveAssembly, typeResolver: null, throwOnError: false)
            ?? throw new SerializationException($"record type of data batch '{manifest}' is not loaded on this node");
        var codec = (BatchCodec)Activator.CreateInstance(typeof(BatchCodec<>).MakeGenericType(recordType))!;
        // A record type of a submitted job assembly lives as long as the job runs on this node: not cached, so that
        // the next run's copy of the assembly is the one used.
        return recordType.Assembly.IsCollectible ? codec : _batchCodecs.GetOrAdd(manifest, codec);
    }

    /// <summary>Engine and built-in job assemblies from the node's context; submitted job assemblies from the jobs that run here.</summary>
    private static Assembly? ResolveAssembly(AssemblyName name)
    {
        if (JobCodeCache.FindAssembly(name) is { } job) return job;
        try { return Assembly.Load(name); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException) { return null; }
    }

    /// <summary>
    /// Non-public record types need the slower resolver that may emit code for private members. So do record types of
    /// a submitted job (a collectible assembly): the plain resolver emits its formatters into a non-collectible dynamic
    /// assembly, which may not reference them, while the private-member resolver builds dynamic methods, which may.
    /// </summary>
    private MessagePackSerializerOptions RecordOptions(Type recordType) => recordType.IsVisible && !recordType.Assembly.IsCollectible ? _recordOptions : _options;

    private static string TypeName(Type t) => $"{t.FullName}, {t.Assembly.GetName().Name}";

    /// <summary>Reads and writes <see cref="DataBatch{T}"/> of one record type: header, then values and timestamps.</summary>
    private abstract class BatchCodec
    {
        public abstract Type RecordType { get; }
        public abstract byte[] Serialize(object batch, MessagePackSerializerOptions options);
        public abstract object Deserialize(byte[] bytes, MessagePackSerializerOptions options);
    }

    /// <summary>
    /// Writes the header and the records straight into a per-thread buffer with one <see cref="MessagePackWriter"/>
    /// (no intermediate arrays), and reads straight into the batch's <see cref="StreamRecord{T}"/> array. The layout is
    /// <c>[channel, seq, attempt, last credit, [value...], [timestamp...]]</c>.
    /// </summary>
    private sealed class BatchCodec<T> : BatchCodec
    {
        /// <summary>Buffers larger than this are not kept for the next batch.</summary>
        private const int KeepBufferBytes = 4 << 20;

        [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
        private IMessagePackFormatter<T>? _formatter;

        public override Type RecordType => typeof(T);

        private IMessagePackFormatter<T> Formatter(MessagePackSerializerOptions options) => _formatter ??= options.Resolver.GetFormatterWithVerify<T>();

        public override byte[] Serialize(object batch, MessagePackSerializerOptions options)
        {
            var b = (DataBatch<T>)batch;
            var formatter = Formatter(options);
            var buffer = t_buffer ?? new ArrayBufferWriter<byte>(64 * 1024);
            t_buffer = null; // a formatter that serialises a nested batch on this thread gets its own buffer
            try
            {
                var writer = new MessagePackWriter(buffer);
                writer.WriteArrayHeader(6);
                writer.Write(b.Channel);
                writer.Write(b.Seq);
                writer.Write(b.Attempt);
                writer.Write(b.LastCredit);
                var records = b.Records;
                writer.WriteArrayHeader(b.Count);
                for (var i = 0; i < b.Count; i++) formatter.Serialize(ref writer, records[i].Value, options);
                writer.WriteArrayHeader(b.Count);
                for (var i = 0; i < b.Count; i++) writer.Write(records[i].Timestamp);
                writer.Flush();
                return buffer.WrittenSpan.ToArray();
            }
            finally
            {
                buffer.ResetWrittenCount();
                if (buffer.Capacity <= KeepBufferBytes) t_buffer = buffer;
            }
        }

        public override object Deserialize(byte[] bytes, MessagePackSerializerOptions options)
        {
            var formatter = Formatter(options);
            var reader = new MessagePackReader(bytes);
            if (reader.ReadArrayHeader() != 6) throw new SerializationException("data batch: expected [channel, seq, attempt, last credit, values, timestamps]");
            var channel = reader.ReadInt32();
            var seq = reader.ReadInt64();
            var attempt = reader.ReadInt32();
            var lastCredit = reader.ReadBoolean();
            var count = reader.ReadArrayHeader();
            var records = new StreamRecord<T>[count];
            for (var i = 0; i < count; i++) records[i].Value = formatter.Deserialize(ref reader, options);
            if (reader.ReadArrayHeader() != count) throw new SerializationException("data batch: as many timestamps as values expected");
            for (var i = 0; i < count; i++) records[i].Timestamp = reader.ReadInt64();
            return new DataBatch<T> { Channel = channel, Seq = seq, Attempt = attempt, Records = records, Count = count, LastCredit = lastCredit };
        }
    }

    /// <summary>An actor reference as its full path with address; resolved against the receiving system.</summary>
    private sealed class ActorRefFormatter(ExtendedActorSystem system) : IMessagePackFormatter<IActorRef?>
    {
        public void Serialize(ref MessagePackWriter writer, IActorRef? value, MessagePackSerializerOptions options)
        {
            if (value is null) writer.WriteNil();
            else writer.Write(Akka.Serialization.Serialization.SerializedActorPath(value));
        }

        public IActorRef? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil()) return null;
            return system.Provider.ResolveActorRef(reader.ReadString()!);
        }
    }

    /// <summary>An exception as [type name, message]; deserialised as <see cref="RemoteFailureException"/>.</summary>
    private sealed class ExceptionFormatter : IMessagePackFormatter<Exception?>
    {
        public void Serialize(ref MessagePackWriter writer, Exception? value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }
            writer.WriteArrayHeader(2);
            writer.Write(value is RemoteFailureException r ? r.OriginalType : value.GetType().FullName);
            writer.Write(value.Message);
        }

        public Exception? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil()) return null;
            reader.ReadArrayHeader();
            var type = reader.ReadString() ?? "System.Exception";
            return new RemoteFailureException(type, reader.ReadString() ?? "");
        }
    }
}

/// <summary>An exception raised on another node: its original type name and message.</summary>
public sealed class RemoteFailureException : Exception
{
    public RemoteFailureException(string originalType, string message) : base(message) => OriginalType = originalType;
    public RemoteFailureException() : this("System.Exception", "") { }
    public RemoteFailureException(string message) : this("System.Exception", message) { }
    public RemoteFailureException(string message, Exception inner) : base(message, inner) => OriginalType = inner.GetType().FullName ?? "System.Exception";

    /// <summary>Full name of the exception type thrown on the other node.</summary>
    public string OriginalType { get; } = "System.Exception";
}
