using System.Buffers.Binary;
using RocksDbSharp;

namespace RecoFlow.Runtime.State;

/// <summary>
/// One keyed state's entries as rows of the backend's RocksDB: row key = key group (2 bytes, big-endian) + state id
/// (2 bytes, big-endian) + the MessagePack bytes of the record key, so one state's entries of one key group are a
/// prefix range; row value = the MessagePack bytes of the value. The current key's value is cached deserialised and
/// written back when another key is accessed or before the entries are read for a snapshot: read-modify-write on one
/// key costs one read and one write, and a value changed in place (a list or map state's collection, a window slot
/// written through <see cref="GetValueRefOrAddDefault"/>) is written once.
/// </summary>
internal sealed class RocksDbEntryMap<TKey, TValue>(RocksDbKeyedStateBackend<TKey> backend, int stateId) : IEntryMap<TKey, TValue> where TKey : notnull
{
    private static readonly EqualityComparer<TKey> KeyComparer = EqualityComparer<TKey>.Default;
    private bool _cached;
    private TKey _key = default!;
    private byte[] _rowKey = [];
    private TValue? _value;
    private bool _exists;
    private bool _dirty;
    private int _count;

    public int Count => _count;

    private byte[] RowKey(TKey key)
    {
        var keyBytes = StateSerializer.Serialize(key);
        var row = new byte[4 + keyBytes.Length];
        WritePrefix(row, KeyGroups.KeyGroupAssignment.KeyGroupOf(key, backend.MaxParallelism));
        keyBytes.CopyTo(row, 4);
        return row;
    }

    private void WritePrefix(Span<byte> row, int keyGroup)
    {
        BinaryPrimitives.WriteUInt16BigEndian(row, (ushort)keyGroup);
        BinaryPrimitives.WriteUInt16BigEndian(row[2..], (ushort)stateId);
    }

    /// <summary>Makes <paramref name="key"/> the cached one, writing back the previous one if it changed.</summary>
    private void Load(TKey key)
    {
        if (_cached && KeyComparer.Equals(_key, key)) return;
        Flush();
        _key = key;
        _rowKey = RowKey(key);
        var bytes = backend.Db.Get(_rowKey);
        _exists = bytes is not null;
        _value = bytes is null ? default : StateSerializer.Deserialize<TValue>(bytes);
        _dirty = false;
        _cached = true;
    }

    /// <summary>Writes the cached value back if it changed.</summary>
    public void Flush()
    {
        if (!_cached || !_dirty) return;
        if (_exists) backend.Db.Put(_rowKey, StateSerializer.Serialize(_value), writeOptions: backend.WriteOptions);
        else backend.Db.Remove(_rowKey, writeOptions: backend.WriteOptions);
        _dirty = false;
    }

    public bool TryGetValue(TKey key, out TValue value)
    {
        Load(key);
        value = _value!;
        return _exists;
    }

    public void Set(TKey key, TValue value)
    {
        Load(key);
        if (!_exists) { _exists = true; _count++; }
        _value = value;
        _dirty = true;
    }

    public bool Remove(TKey key)
    {
        Load(key);
        if (!_exists) return false;
        _exists = false;
        _value = default;
        _dirty = true;
        _count--;
        return true;
    }

    public ref TValue? GetValueRefOrAddDefault(TKey key, out bool exists)
    {
        Load(key);
        exists = _exists;
        if (!_exists) { _exists = true; _count++; }
        _dirty = true;
        return ref _value;
    }

    public void Touch(TKey key)
    {
        if (_cached && KeyComparer.Equals(_key, key)) _dirty = true;
    }

    public IEnumerable<TKey> Keys()
    {
        var keys = new List<TKey>();
        foreach (var (row, _) in Rows(values: false)) keys.Add(StateSerializer.Deserialize<TKey>(row.AsMemory(4)));
        return keys;
    }

    public IEnumerable<KeyValuePair<TKey, TValue>> Entries()
    {
        foreach (var (row, value) in Rows(values: true))
            yield return new(StateSerializer.Deserialize<TKey>(row.AsMemory(4)), StateSerializer.Deserialize<TValue>(value!));
    }

    /// <summary>The state's rows, key group by key group, after writing back the cached value.</summary>
    private IEnumerable<(byte[] Row, byte[]? Value)> Rows(bool values)
    {
        Flush();
        var prefix = new byte[4];
        using var it = backend.Db.NewIterator();
        for (var kg = backend.KeyGroups.Start; kg <= backend.KeyGroups.End; kg++)
        {
            WritePrefix(prefix, kg);
            for (it.Seek(prefix); it.Valid(); it.Next())
            {
                var row = it.Key();
                if (row.Length < 4 || !row.AsSpan(0, 4).SequenceEqual(prefix)) break;
                yield return (row, values ? it.Value() : null);
            }
        }
    }
}
