namespace RecoFlow.Api.Time;

/// <summary>Event-time constants. Time is epoch milliseconds throughout the engine.</summary>
public static class Watermark
{
    /// <summary>No timestamp: a record without event time, or "no watermark yet".</summary>
    public const long NoTimestamp = long.MinValue;

    /// <summary>The watermark a bounded input emits when it ends: every event-time timer fires and every window closes.</summary>
    public const long MaxWatermark = long.MaxValue;
}

/// <summary>Receives watermarks and idleness from a <see cref="IWatermarkGenerator{T}"/>.</summary>
public interface IWatermarkOutput
{
    /// <summary>Proposes a new watermark; smaller or equal values than the current one are ignored.</summary>
    void EmitWatermark(long watermark);

    /// <summary>Marks this output idle: it is left out of the minimum until it emits a record or watermark again.</summary>
    void MarkIdle();

    /// <summary>Marks this output active again.</summary>
    void MarkActive();
}

/// <summary>
/// Generates watermarks for one source split (Flink: WatermarkGenerator). Called by one thread at a time.
/// <see cref="OnEvent"/> runs for every record; <see cref="OnPeriodicEmit"/> after every polled batch.
/// </summary>
public interface IWatermarkGenerator<in T>
{
    void OnEvent(T value, long timestamp, IWatermarkOutput output);
    void OnPeriodicEmit(IWatermarkOutput output);
}

/// <summary>Watermark = largest timestamp seen − bound − 1 (Flink: BoundedOutOfOrdernessWatermarks).</summary>
public sealed class BoundedOutOfOrdernessGenerator<T> : IWatermarkGenerator<T>
{
    private readonly long _bound;
    private long _maxTimestamp;

    public BoundedOutOfOrdernessGenerator(TimeSpan bound)
    {
        if (bound < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(bound), "out-of-orderness bound must not be negative");
        _bound = (long)bound.TotalMilliseconds;
        _maxTimestamp = long.MinValue + _bound + 1;
    }

    public void OnEvent(T value, long timestamp, IWatermarkOutput output)
    {
        if (timestamp > _maxTimestamp) _maxTimestamp = timestamp;
    }

    public void OnPeriodicEmit(IWatermarkOutput output) => output.EmitWatermark(_maxTimestamp - _bound - 1);
}

/// <summary>Emits no watermarks: event time never advances for this source (processing-time jobs).</summary>
public sealed class NoWatermarksGenerator<T> : IWatermarkGenerator<T>
{
    public void OnEvent(T value, long timestamp, IWatermarkOutput output) { }
    public void OnPeriodicEmit(IWatermarkOutput output) { }
}
