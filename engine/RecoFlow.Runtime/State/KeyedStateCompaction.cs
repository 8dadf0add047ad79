using System.Buffers;
using MessagePack;

namespace RecoFlow.Runtime.State;

/// <summary>
/// When the keyed state was snapshotted, and the time-to-live of each state that has one: what compaction needs to
/// drop expired entries as a full snapshot does. Travels with a snapshot in memory only.
/// </summary>
public sealed record StateExpiry(long Now, IReadOnlyDictionary<string, long> TtlMillis);

/// <summary>
/// Folds the key groups of an incremental chain (a full snapshot, then deltas, in chain order) into one full snapshot
/// per key group, on the stored bytes alone, without the state's types: the materialisation of a chain (Flink's
/// changelog backend materialises the same way, off the task thread). The result restores to exactly the state the
/// chain restores to: per key group and state, the entries are applied in order, upserts first and then deletions,
/// as <see cref="KeyedStateBackend{TKey}"/> restores them.
/// </summary>
/// <remarks>
/// Entries are identified by the MessagePack bytes of their key (a state table's entry is <c>[key, value]</c>; its
/// deletions list keys) or, for timers (states named <see cref="TimerPrefix"/>…), by the whole timer. The same key
/// always serialises to the same bytes with <see cref="StateSerializer"/>, so bytes compare as keys do. An entry of a
/// state with a time-to-live (<see cref="StateExpiry"/>) whose stamp has expired is dropped, as a full snapshot drops it.
/// </remarks>
public static class KeyedStateCompaction
{
    /// <summary>The prefix of the name under which a timer service's timers are snapshotted, beside the states' names.</summary>
    public const string TimerPrefix = "timers/";

    /// <summary>One full snapshot from <paramref name="chain"/>'s key groups (several per key group, applied in order).</summary>
    public static KeyedStateSnapshot Compact(KeyedStateSnapshot chain, StateExpiry? expiry = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var groups = new SortedDictionary<int, Dictionary<string, EntrySet>>();
        foreach (var kg in chain.KeyGroups)
        {
            if (!groups.TryGetValue(kg.KeyGroup, out var states)) groups[kg.KeyGroup] = states = new(StringComparer.Ordinal);
            foreach (var (name, bytes) in kg.States) Set(states, name).Upsert(bytes);
            if (kg.Deletions is null) continue;
            foreach (var (name, bytes) in kg.Deletions) Set(states, name).Delete(bytes);
        }
        var result = new KeyedStateSnapshot();
        foreach (var (keyGroup, states) in groups)
        {
            var group = new KeyGroupSnapshot { KeyGroup = keyGroup };
            foreach (var (name, set) in states)
            {
                var ttl = expiry is not null && expiry.TtlMillis.TryGetValue(name, out var t) ? t : (long?)null;
                if (set.Encode(ttl is null ? null : (expiry!.Now, ttl.Value)) is { } bytes) group.States[name] = bytes;
            }
            if (group.States.Count > 0) result.KeyGroups.Add(group.Seal());
        }
        return result;
    }

    private static EntrySet Set(Dictionary<string, EntrySet> states, string name)
    {
        if (!states.TryGetValue(name, out var set)) states[name] = set = new EntrySet(name.StartsWith(TimerPrefix, StringComparison.Ordinal));
        return set;
    }

    /// <summary>
    /// One state in one key group: its first full part (the base, usually the chain's full row) and what later parts
    /// did (upserts and deletions, in order). Only the later parts are indexed; the base is streamed once and copied
    /// entry by entry unless a later part touched the entry, so the cost is one pass over the state and memory in the
    /// changes, not in the state.
    /// </summary>
    private sealed class EntrySet(bool wholeEntryIsIdentity)
    {
        private byte[]? _base;
        private readonly List<(byte[] Bytes, bool Deletions)> _later = [];

        public void Upsert(byte[] bytes)
        {
            if (_base is null && _later.Count == 0) _base = bytes;
            else _later.Add((bytes, false));
        }

        public void Delete(byte[] bytes) => _later.Add((bytes, true));

        /// <summary>The entries as one MessagePack array (the format of a full key group's state), or null when none is left.</summary>
        public byte[]? Encode((long Now, long TtlMillis)? expiry)
        {
            if (_later.Count == 0 && expiry is null && _base is not null)
                return new MessagePackReader(_base).ReadArrayHeader() > 0 ? _base : null;
            // The last thing a later part did to each entry: its bytes, or null when it was removed.
            var changed = new Dictionary<byte[], ReadOnlyMemory<byte>?>(ByteArrayComparer.Instance);
            foreach (var (bytes, deletions) in _later)
                foreach (var (identity, entry) in Entries(bytes, identityOnly: deletions))
                    changed[identity.ToArray()] = deletions ? (ReadOnlyMemory<byte>?)null : entry;
            var lookup = changed.GetAlternateLookup<ReadOnlySpan<byte>>();
            var body = new ArrayBufferWriter<byte>(_base?.Length ?? 256);
            var count = 0;
            if (_base is not null)
                foreach (var (identity, entry) in Entries(_base, identityOnly: false))
                    if (!lookup.ContainsKey(identity.Span) && Keep(entry, expiry)) { body.Write(entry.Span); count++; }
            foreach (var entry in changed.Values)
                if (entry is { } e && Keep(e, expiry)) { body.Write(e.Span); count++; }
            if (count == 0) return null;
            var result = new ArrayBufferWriter<byte>(body.WrittenCount + 5);
            var writer = new MessagePackWriter(result);
            writer.WriteArrayHeader(count);
            writer.Flush();
            result.Write(body.WrittenSpan);
            return result.WrittenSpan.ToArray();
        }

        private static bool Keep(ReadOnlyMemory<byte> entry, (long Now, long TtlMillis)? expiry) => expiry is not { } e || !Expired(entry, e.Now, e.TtlMillis);

        /// <summary>
        /// The elements of a state's array with their identity: a table entry <c>[key, value]</c> by its key, a timer
        /// (or any element of a deletion list, <paramref name="identityOnly"/>) by its whole bytes.
        /// </summary>
        private IEnumerable<(ReadOnlyMemory<byte> Identity, ReadOnlyMemory<byte> Entry)> Entries(byte[] bytes, bool identityOnly)
        {
            var offset = 0;
            var count = ReadHeader(bytes, ref offset);
            for (var i = 0; i < count; i++)
            {
                var start = offset;
                ReadOnlyMemory<byte> identity;
                if (wholeEntryIsIdentity || identityOnly)
                {
                    Skip(bytes, ref offset);
                    identity = bytes.AsMemory(start, offset - start);
                }
                else
                {
                    if (ReadHeader(bytes, ref offset) != 2) throw new InvalidDataException("a state entry is not a [key, value] pair");
                    var keyStart = offset;
                    Skip(bytes, ref offset);
                    identity = bytes.AsMemory(keyStart, offset - keyStart);
                    Skip(bytes, ref offset);
                }
                yield return (identity, bytes.AsMemory(start, offset - start));
            }
        }

        private static int ReadHeader(byte[] bytes, ref int offset)
        {
            var reader = new MessagePackReader(bytes.AsMemory(offset));
            var count = reader.ReadArrayHeader();
            offset += (int)reader.Consumed;
            return count;
        }

        private static void Skip(byte[] bytes, ref int offset)
        {
            var reader = new MessagePackReader(bytes.AsMemory(offset));
            reader.Skip();
            offset += (int)reader.Consumed;
        }

        /// <summary>A table entry <c>[key, [value, stamp]]</c> (<see cref="Stamped{T}"/>) whose stamp is <paramref name="ttlMillis"/> or more before <paramref name="now"/>.</summary>
        private static bool Expired(ReadOnlyMemory<byte> entry, long now, long ttlMillis)
        {
            var reader = new MessagePackReader(entry);
            reader.ReadArrayHeader();
            reader.Skip();
            if (reader.ReadArrayHeader() < 2) throw new InvalidDataException("an entry of a state with a time-to-live has no stamp");
            reader.Skip();
            return now - reader.ReadInt64() >= ttlMillis;
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));
        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);
        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);
        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }
    }
}
