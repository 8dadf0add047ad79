using MessagePack;
using RecoFlow.Runtime.KeyGroups;

namespace RecoFlow.Runtime.State;

/// <summary>
/// A byte string written as a patch of an earlier one: a sequence of copies from the earlier bytes and literal bytes,
/// with the length and checksum of both, so that applying it to other bytes than it was made from fails loudly instead
/// of restoring wrong state. Incremental checkpoints write operator state this way (<see cref="OperatorStateStore"/>):
/// a model replica that changed in a few places costs those places, not the whole replica.
/// </summary>
[MessagePackObject]
public sealed class BytePatch
{
    /// <summary>Length of the bytes the patch applies to.</summary>
    [Key(0)] public int BaseLength { get; set; }

    /// <summary>Murmur3 of the bytes the patch applies to.</summary>
    [Key(1)] public int BaseChecksum { get; set; }

    /// <summary>Length of the result.</summary>
    [Key(2)] public int Length { get; set; }

    /// <summary>Murmur3 of the result.</summary>
    [Key(3)] public int Checksum { get; set; }

    /// <summary>Pairs (offset, length): a copy of the base's bytes at offset ≥ 0, or with offset −1 the next bytes of <see cref="Literals"/>.</summary>
    [Key(4)] public int[] Ops { get; set; } = [];

    [Key(5)] public byte[] Literals { get; set; } = [];

    /// <summary>Bytes the patch carries (literals and operations).</summary>
    [IgnoreMember] public long SizeBytes => Literals.Length + 4L * Ops.Length + 16;

    /// <summary>The patch that turns <paramref name="old"/>'s bytes into <paramref name="next"/>.</summary>
    public static BytePatch Create(ContentChunks old, byte[] next)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(next);
        var ops = new List<int>();
        using var literals = new MemoryStream();
        int literalStart = -1;
        for (int offset = 0; offset < next.Length;)
        {
            int length = ContentChunks.NextLength(next.AsSpan(offset));
            int from = old.Find(next.AsSpan(offset, length));
            if (from < 0)
            {
                if (literalStart < 0) literalStart = offset;
            }
            else
            {
                FlushLiteral(next, ref literalStart, offset, ops, literals);
                int last = ops.Count - 2;
                if (last >= 0 && ops[last] >= 0 && ops[last] + ops[last + 1] == from) ops[last + 1] += length;
                else ops.AddRange([from, length]);
            }
            offset += length;
        }
        FlushLiteral(next, ref literalStart, next.Length, ops, literals);
        return new BytePatch
        {
            BaseLength = old.Bytes.Length, BaseChecksum = MurmurHash3.Hash(old.Bytes),
            Length = next.Length, Checksum = MurmurHash3.Hash(next), Ops = [.. ops], Literals = literals.ToArray(),
        };
    }

    /// <summary>The patched bytes; throws <see cref="InvalidDataException"/> when <paramref name="old"/> is not the base the patch was made from or the result does not match.</summary>
    public byte[] Apply(ReadOnlySpan<byte> old)
    {
        if (old.Length != BaseLength || MurmurHash3.Hash(old) != BaseChecksum)
            throw new InvalidDataException($"a state patch applied to other bytes than its base ({old.Length} bytes, expected {BaseLength})");
        if (Ops.Length % 2 != 0) throw new InvalidDataException("a state patch with an odd operation list");
        var result = new byte[Length];
        int at = 0, literal = 0;
        for (int i = 0; i < Ops.Length; i += 2)
        {
            int offset = Ops[i], length = Ops[i + 1];
            if (length < 0 || at + length > result.Length) throw new InvalidDataException("a state patch longer than its result");
            if (offset >= 0)
            {
                if (offset + length > old.Length) throw new InvalidDataException("a state patch copying past its base");
                old.Slice(offset, length).CopyTo(result.AsSpan(at));
            }
            else
            {
                if (literal + length > Literals.Length) throw new InvalidDataException("a state patch reading past its literals");
                Literals.AsSpan(literal, length).CopyTo(result.AsSpan(at));
                literal += length;
            }
            at += length;
        }
        if (at != Length || MurmurHash3.Hash(result) != Checksum) throw new InvalidDataException("a state patch whose result does not match its checksum");
        return result;
    }

    private static void FlushLiteral(byte[] next, ref int start, int end, List<int> ops, MemoryStream literals)
    {
        if (start < 0) return;
        literals.Write(next, start, end - start);
        ops.AddRange([-1, end - start]);
        start = -1;
    }
}
