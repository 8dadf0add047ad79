using MessagePack;

namespace RecoFlow.Api.Windows;

/// <summary>A window: a finite bucket of records (Flink: Window). <see cref="MaxTimestamp"/> is the last instant it covers.</summary>
public interface IWindow
{
    long MaxTimestamp { get; }
}

/// <summary>The half-open time interval [Start, End) in epoch milliseconds (Flink: TimeWindow).</summary>
[MessagePackObject]
public readonly record struct TimeWindow([property: Key(0)] long Start, [property: Key(1)] long End) : IWindow
{
    [IgnoreMember] public long MaxTimestamp => End - 1;

    public bool Intersects(TimeWindow other) => Start <= other.End && End >= other.Start;

    public TimeWindow Cover(TimeWindow other) => new(Math.Min(Start, other.Start), Math.Max(End, other.End));

    /// <summary>Start of the window of size <paramref name="size"/> (shifted by <paramref name="offset"/>) that contains <paramref name="timestamp"/>, aligned to the epoch.</summary>
    public static long WindowStart(long timestamp, long offset, long size)
    {
        var remainder = (timestamp - offset) % size;
        return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
    }

    public override string ToString() => $"[{Start}, {End})";
}

/// <summary>The single window of everything (used with count and custom triggers).</summary>
[MessagePackObject]
public readonly record struct GlobalWindow : IWindow
{
    [IgnoreMember] public long MaxTimestamp => long.MaxValue;
    public static GlobalWindow Instance => default;
    public override string ToString() => "GlobalWindow";
}
