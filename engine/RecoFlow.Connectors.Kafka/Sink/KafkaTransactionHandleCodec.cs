using System.Buffers.Binary;
using System.Text.Json;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The stored form of a <see cref="KafkaTransactionHandle"/>. Version 1 (handles of the writer before it kept records): the handle as
/// JSON, as written before the sink kept its records. Version 2: <c>RFKT</c>, the byte 2, the header as JSON (int32
/// length first) and the records: an int32 count, then per record int32 partition, int64 timestamp, int32 key length
/// (-1 = no key) and key, int32 value length and value (integers little-endian). Malformed bytes throw
/// <see cref="FormatException"/>.
/// </summary>
internal static class KafkaTransactionHandleCodec
{
    private static ReadOnlySpan<byte> Magic => "RFKT"u8;
    private const byte Version = 2;

    public static byte[] Encode(KafkaTransactionHandle handle)
    {
        if (!handle.RecordsKept) return handle.HeaderJson();
        var header = handle.HeaderJson();
        long size = Magic.Length + 1 + 4 + header.Length + 4;
        foreach (var r in handle.Records) size += 4 + 8 + 4 + (r.Key?.Length ?? 0) + 4 + r.Value.Length;
        if (size > Array.MaxLength) throw new InvalidOperationException($"the records of Kafka transaction {handle.TransactionalId} epoch {handle.Epoch} do not fit in one handle ({size} bytes)");
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[Magic.Length] = Version;
        var at = Magic.Length + 1;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], header.Length);
        at += 4;
        header.CopyTo(span[at..]);
        at += header.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], handle.Records.Count);
        at += 4;
        foreach (var r in handle.Records)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], r.Partition);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 4)..], r.Timestamp);
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 12)..], r.Key?.Length ?? -1);
            at += 16;
            if (r.Key is { } key)
            {
                key.CopyTo(span[at..]);
                at += key.Length;
            }
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], r.Value.Length);
            at += 4;
            r.Value.CopyTo(span[at..]);
            at += r.Value.Length;
        }
        return bytes;
    }

    public static KafkaTransactionHandle Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (!bytes.AsSpan().StartsWith(Magic))
        {
            try
            {
                return KafkaTransactionHandle.FromHeaderJson(bytes);
            }
            catch (JsonException e)
            {
                throw new FormatException($"Kafka transaction handle: not a handle ({e.Message})", e);
            }
        }
        var reader = new Reader(bytes, Magic.Length);
        var version = reader.Byte();
        if (version != Version) throw new FormatException($"Kafka transaction handle: unknown version {version}");
        KafkaTransactionHandle header;
        try
        {
            header = KafkaTransactionHandle.FromHeaderJson(reader.Bytes(reader.Int32()));
        }
        catch (JsonException e)
        {
            throw new FormatException($"Kafka transaction handle: bad header ({e.Message})", e);
        }
        var count = reader.Int32();
        if (count < 0 || count > reader.Remaining / 20) throw new FormatException($"Kafka transaction handle: bad record count {count}");
        var records = new KafkaRecord[count];
        for (var i = 0; i < count; i++)
        {
            var partition = reader.Int32();
            var timestamp = reader.Int64();
            var keyLength = reader.Int32();
            var key = keyLength == -1 ? null : reader.Bytes(keyLength).ToArray();
            var value = reader.Bytes(reader.Int32()).ToArray();
            records[i] = new KafkaRecord(partition, key, value, timestamp);
        }
        if (reader.Remaining != 0) throw new FormatException($"Kafka transaction handle: {reader.Remaining} bytes after the records");
        return header with { Records = records };
    }

    private ref struct Reader(byte[] bytes, int at)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at = at;

        public readonly int Remaining => _bytes.Length - _at;

        public byte Byte() => Take(1)[0];

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public ReadOnlySpan<byte> Bytes(int length)
        {
            if (length < 0) throw new FormatException($"Kafka transaction handle: negative length {length} at byte {_at}");
            return Take(length);
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > Remaining) throw new FormatException($"Kafka transaction handle: truncated at byte {_at} ({length} bytes wanted, {Remaining} left)");
            var span = _bytes.Slice(_at, length);
            _at += length;
            return span;
        }
    }
}
