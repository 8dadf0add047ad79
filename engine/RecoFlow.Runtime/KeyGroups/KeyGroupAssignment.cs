using MessagePack;
using MessagePack.Resolvers;

namespace RecoFlow.Runtime.KeyGroups;

/// <summary>An inclusive range of key groups owned by one subtask.</summary>
[MessagePackObject]
public readonly record struct KeyGroupRange([property: Key(0)] int Start, [property: Key(1)] int End)
{
    public bool Contains(int keyGroup) => keyGroup >= Start && keyGroup <= End;
    [IgnoreMember] public int Count => End - Start + 1;
    public override string ToString() => $"{Start}..{End}";
}

/// <summary>
/// Key → key group → subtask (Flink: KeyGroupRangeAssignment). keyGroup = murmur3(key) mod maxParallelism; subtask i of
/// p owns the contiguous range [⌈i·m/p⌉, ⌈(i+1)·m/p⌉ − 1], so rescaling moves whole key groups.
/// </summary>
public static class KeyGroupAssignment
{
    public static int KeyGroupOf<TKey>(TKey key, int maxParallelism) where TKey : notnull =>
        (StableHash<TKey>.Of(key) & int.MaxValue) % maxParallelism;

    public static int OperatorIndexOf(int keyGroup, int maxParallelism, int parallelism) => keyGroup * parallelism / maxParallelism;

    public static KeyGroupRange RangeOf(int subtask, int maxParallelism, int parallelism)
    {
        var start = (subtask * maxParallelism + parallelism - 1) / parallelism;
        var end = ((subtask + 1) * maxParallelism - 1) / parallelism;
        return new KeyGroupRange(start, end);
    }
}

/// <summary>
/// A hash of keys that is the same in every process (needed because key groups decide placement and which snapshot
/// holds a key). Strings hash their characters, integers their value; other types hash their MessagePack form.
/// </summary>
public static class StableHash<TKey> where TKey : notnull
{
    private static readonly Func<TKey, int> Hasher = Create();

    public static int Of(TKey key) => Hasher(key);

    private static Func<TKey, int> Create()
    {
        var t = typeof(TKey);
        if (t == typeof(string)) return k => MurmurHash3.Hash((string)(object)k);
        if (t == typeof(int)) return k => MurmurHash3.Hash((int)(object)k);
        if (t == typeof(long)) return k => MurmurHash3.Hash((long)(object)k);
        if (t == typeof(byte)) return k => MurmurHash3.Hash((int)(byte)(object)k);
        if (t == typeof(short)) return k => MurmurHash3.Hash((int)(short)(object)k);
        if (t == typeof(uint)) return k => MurmurHash3.Hash((int)(uint)(object)k);
        if (t == typeof(ulong)) return k => MurmurHash3.Hash((long)(ulong)(object)k);
        if (t == typeof(Guid)) return k => MurmurHash3.Hash(((Guid)(object)k).ToByteArray());
        return k => MurmurHash3.Hash(MessagePackSerializer.Serialize(k, ContractlessStandardResolver.Options));
    }
}
