namespace RecoFlow.Bench;

/// <summary>The collector's work in this process over a span: collections of each generation and the time paused.</summary>
internal readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, double PauseSeconds)
{
    public static GcCounts Now() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration().TotalSeconds);

    /// <summary>What happened since <paramref name="start"/> (a count of generation n includes those of the higher generations, as .NET counts).</summary>
    public GcCounts Since(GcCounts start) => new(Gen0 - start.Gen0, Gen1 - start.Gen1, Gen2 - start.Gen2, PauseSeconds - start.PauseSeconds);

    public override string ToString() => $"{Gen0}/{Gen1}/{Gen2}, {PauseSeconds:F2} s";
}
