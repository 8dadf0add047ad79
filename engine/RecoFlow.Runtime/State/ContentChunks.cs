using RecoFlow.Runtime.KeyGroups;

namespace RecoFlow.Runtime.State;

/// <summary>
/// Content-defined chunking of a byte string (the Gear rolling hash of FastCDC, Xia et al., USENIX ATC 2016): a chunk
/// ends where the hash of the bytes before it has its low bits zero, so an edit moves only the boundaries next to it
/// and the chunks of unchanged regions are the same before and after, wherever the edit shifted them. Chunks are
/// between <see cref="MinSize"/> and <see cref="MaxSize"/> bytes, about <see cref="MinSize"/> + 2 KiB on average.
/// <para>An index of the chunks of one byte string (<see cref="ContentChunks"/>) finds, for a chunk of another, an equal
/// chunk of the first: <see cref="BytePatch"/> writes a new snapshot of operator state as the old one's chunks it repeats
/// and the bytes it does not.</para>
/// </summary>
public sealed class ContentChunks
{
    /// <summary>The smallest chunk (except the last).</summary>
    public const int MinSize = 512;

    /// <summary>The largest chunk.</summary>
    public const int MaxSize = 16 * 1024;

    private const ulong Mask = (1UL << 11) - 1;

    private static readonly ulong[] Gear = CreateGear();

    private readonly Dictionary<int, (int Offset, int Length)> _byHash = [];

    private ContentChunks(byte[] bytes) => Bytes = bytes;

    /// <summary>The indexed bytes.</summary>
    public byte[] Bytes { get; }

    /// <summary>How many distinct chunks the index holds.</summary>
    public int Count => _byHash.Count;

    /// <summary>Indexes the chunks of <paramref name="bytes"/> (kept, not copied).</summary>
    public static ContentChunks Index(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var index = new ContentChunks(bytes);
        for (int offset = 0; offset < bytes.Length;)
        {
            int length = NextLength(bytes.AsSpan(offset));
            index._byHash.TryAdd(MurmurHash3.Hash(bytes.AsSpan(offset, length)), (offset, length));
            offset += length;
        }
        return index;
    }

    /// <summary>The offset of a chunk of the indexed bytes equal to <paramref name="chunk"/>, or −1.</summary>
    public int Find(ReadOnlySpan<byte> chunk)
    {
        if (!_byHash.TryGetValue(MurmurHash3.Hash(chunk), out var at) || at.Length != chunk.Length) return -1;
        return Bytes.AsSpan(at.Offset, at.Length).SequenceEqual(chunk) ? at.Offset : -1;
    }

    /// <summary>The length of the chunk that starts <paramref name="data"/>.</summary>
    public static int NextLength(ReadOnlySpan<byte> data)
    {
        if (data.Length <= MinSize) return data.Length;
        int end = Math.Min(data.Length, MaxSize);
        ulong hash = 0;
        for (int i = MinSize; i < end; i++)
        {
            hash = (hash << 1) + Gear[data[i]];
            if ((hash & Mask) == 0) return i + 1;
        }
        return end;
    }

    private static ulong[] CreateGear()
    {
        // Fixed: chunk boundaries must be the same in every process that compares snapshots (SplitMix64, seed 0x5eed).
        var table = new ulong[256];
        ulong state = 0x5eed;
        for (int i = 0; i < table.Length; i++)
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            table[i] = z ^ (z >> 31);
        }
        return table;
    }
}
