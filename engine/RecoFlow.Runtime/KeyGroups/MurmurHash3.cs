using System.Runtime.InteropServices;

namespace RecoFlow.Runtime.KeyGroups;

/// <summary>MurmurHash3 x86 32-bit: stable across processes and machines, unlike <see cref="object.GetHashCode"/> for strings.</summary>
public static class MurmurHash3
{
    private const uint C1 = 0xcc9e2d51, C2 = 0x1b873593;

    public static int Hash(ReadOnlySpan<byte> data, uint seed = 0)
    {
        var h = seed;
        var blocks = MemoryMarshal.Cast<byte, uint>(data[..(data.Length & ~3)]);
        foreach (var b in blocks) h = MixH(h, MixK(b));
        var tail = data[(data.Length & ~3)..];
        uint k = 0;
        switch (tail.Length)
        {
            case 3: k ^= (uint)tail[2] << 16; goto case 2;
            case 2: k ^= (uint)tail[1] << 8; goto case 1;
            case 1: k ^= tail[0]; h ^= MixK(k); break;
        }
        return (int)Finalize(h, (uint)data.Length);
    }

    /// <summary>Hash of the UTF-16 code units of a string.</summary>
    public static int Hash(string s) => Hash(MemoryMarshal.AsBytes(s.AsSpan()));

    /// <summary>Hash of a 32-bit value (Flink: MathUtils.murmurHash).</summary>
    public static int Hash(int value) => (int)Finalize(MixH(0, MixK((uint)value)), 4);

    public static int Hash(long value) => (int)Finalize(MixH(MixH(0, MixK((uint)value)), MixK((uint)(value >> 32))), 8);

    private static uint MixK(uint k)
    {
        k *= C1;
        k = (k << 15) | (k >> 17);
        return k * C2;
    }

    private static uint MixH(uint h, uint k)
    {
        h ^= k;
        h = (h << 13) | (h >> 19);
        return h * 5 + 0xe6546b64;
    }

    private static uint Finalize(uint h, uint length)
    {
        h ^= length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }
}
