namespace RecoFlow.Api.Time;

/// <summary>Extracts the event timestamp (epoch ms) of a record; <c>recordTimestamp</c> is what the source attached, or <see cref="Watermark.NoTimestamp"/>.</summary>
public delegate long TimestampAssigner<in T>(T value, long recordTimestamp);

/// <summary>
/// How a source assigns event time and generates watermarks, per split (Flink: WatermarkStrategy).
/// Immutable: every <c>With…</c> returns a new strategy.
/// </summary>
public sealed class WatermarkStrategy<T>
{
    private readonly Func<IWatermarkGenerator<T>> _generatorFactory;

    private WatermarkStrategy(Func<IWatermarkGenerator<T>> generatorFactory, TimestampAssigner<T>? assigner, TimeSpan? idleTimeout, string description)
    {
        _generatorFactory = generatorFactory;
        TimestampAssigner = assigner;
        IdleTimeout = idleTimeout;
        Description = description;
    }

    /// <summary>Null: records keep the timestamp their source attached.</summary>
    public TimestampAssigner<T>? TimestampAssigner { get; }

    /// <summary>A split with no records for this long (processing time) is idle and does not hold back event time.</summary>
    public TimeSpan? IdleTimeout { get; }

    public string Description { get; }

    public IWatermarkGenerator<T> CreateGenerator() => _generatorFactory();

    /// <summary>Out-of-order records up to <paramref name="maxOutOfOrderness"/> behind the largest timestamp seen are on time.</summary>
    public static WatermarkStrategy<T> ForBoundedOutOfOrderness(TimeSpan maxOutOfOrderness)
    {
        if (maxOutOfOrderness < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(maxOutOfOrderness), "must not be negative");
        return new(() => new BoundedOutOfOrdernessGenerator<T>(maxOutOfOrderness), null, null, $"bounded-out-of-orderness({maxOutOfOrderness.TotalMilliseconds} ms)");
    }

    /// <summary>Timestamps never decrease: watermark = largest timestamp seen − 1.</summary>
    public static WatermarkStrategy<T> ForMonotonousTimestamps() =>
        new(() => new BoundedOutOfOrdernessGenerator<T>(TimeSpan.Zero), null, null, "monotonous");

    /// <summary>No event time: for processing-time jobs.</summary>
    public static WatermarkStrategy<T> NoWatermarks() => new(() => new NoWatermarksGenerator<T>(), null, null, "none");

    /// <summary>A custom generator.</summary>
    public static WatermarkStrategy<T> ForGenerator(Func<IWatermarkGenerator<T>> factory, string description) => new(factory, null, null, description);

    public WatermarkStrategy<T> WithTimestampAssigner(TimestampAssigner<T> assigner) =>
        new(_generatorFactory, assigner ?? throw new ArgumentNullException(nameof(assigner)), IdleTimeout, Description);

    public WatermarkStrategy<T> WithTimestampAssigner(Func<T, long> extractTimestamp)
    {
        ArgumentNullException.ThrowIfNull(extractTimestamp);
        return WithTimestampAssigner((v, _) => extractTimestamp(v));
    }

    public WatermarkStrategy<T> WithIdleness(TimeSpan idleTimeout)
    {
        if (idleTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(idleTimeout), "idle timeout must be positive");
        return new(_generatorFactory, TimestampAssigner, idleTimeout, Description + $", idle after {idleTimeout.TotalMilliseconds} ms");
    }
}
