namespace RecoFlow.Api.Windows;

/// <summary>Assigns each record to zero or more windows (Flink: WindowAssigner).</summary>
public abstract class WindowAssigner<T, TWindow> where TWindow : IWindow
{
    /// <summary>Adds the windows of a record to <paramref name="windows"/> (cleared by the caller).</summary>
    /// <param name="currentProcessingTime">Wall clock, for processing-time assigners. Assigners whose
    /// <see cref="IsEventTime"/> is true get <see cref="Time.Watermark.NoTimestamp"/>: the window operator does not
    /// read the clock for every record they assign.</param>
    public abstract void AssignWindows(T value, long timestamp, long currentProcessingTime, List<TWindow> windows);

    /// <summary>The trigger used unless the job sets one.</summary>
    public abstract Trigger<T, TWindow> DefaultTrigger { get; }

    public abstract bool IsEventTime { get; }

    /// <summary>Session-like assigners whose windows merge when they overlap.</summary>
    public virtual bool IsMerging => false;

    public abstract string Describe();
}

/// <summary>Fixed-size, non-overlapping windows aligned to the epoch plus an offset.</summary>
public sealed class TumblingWindows<T> : WindowAssigner<T, TimeWindow>
{
    private readonly long _size;
    private readonly long _offset;
    private readonly bool _eventTime;

    private TumblingWindows(TimeSpan size, TimeSpan offset, bool eventTime)
    {
        _size = (long)size.TotalMilliseconds;
        _offset = (long)offset.TotalMilliseconds;
        if (_size <= 0) throw new ArgumentOutOfRangeException(nameof(size), "window size must be at least 1 ms");
        if (Math.Abs(_offset) >= _size) throw new ArgumentOutOfRangeException(nameof(offset), "offset must be smaller than the size");
        _eventTime = eventTime;
    }

    public static TumblingWindows<T> OfEventTime(TimeSpan size, TimeSpan offset = default) => new(size, offset, true);
    public static TumblingWindows<T> OfProcessingTime(TimeSpan size, TimeSpan offset = default) => new(size, offset, false);

    public long SizeMillis => _size;

    public override void AssignWindows(T value, long timestamp, long currentProcessingTime, List<TimeWindow> windows)
    {
        var t = _eventTime ? timestamp : currentProcessingTime;
        if (t == Time.Watermark.NoTimestamp)
            throw new InvalidOperationException("a record has no event timestamp: attach a watermark strategy with a timestamp assigner at the source, or use processing-time windows");
        var start = TimeWindow.WindowStart(t, _offset, _size);
        windows.Add(new TimeWindow(start, start + _size));
    }

    public override Trigger<T, TimeWindow> DefaultTrigger => _eventTime ? EventTimeTrigger<T>.Instance : ProcessingTimeTrigger<T>.Instance;
    public override bool IsEventTime => _eventTime;
    public override string Describe() => $"Tumbling{(_eventTime ? "EventTime" : "ProcessingTime")}({_size} ms)";
}

/// <summary>Windows of a fixed size that start every <c>slide</c>; a record belongs to size/slide windows.</summary>
public sealed class SlidingWindows<T> : WindowAssigner<T, TimeWindow>
{
    private readonly long _size;
    private readonly long _slide;
    private readonly long _offset;
    private readonly bool _eventTime;

    private SlidingWindows(TimeSpan size, TimeSpan slide, TimeSpan offset, bool eventTime)
    {
        _size = (long)size.TotalMilliseconds;
        _slide = (long)slide.TotalMilliseconds;
        _offset = (long)offset.TotalMilliseconds;
        if (_size <= 0) throw new ArgumentOutOfRangeException(nameof(size), "window size must be at least 1 ms");
        if (_slide <= 0) throw new ArgumentOutOfRangeException(nameof(slide), "slide must be at least 1 ms");
        if (Math.Abs(_offset) >= _slide) throw new ArgumentOutOfRangeException(nameof(offset), "offset must be smaller than the slide");
        _eventTime = eventTime;
    }

    public static SlidingWindows<T> OfEventTime(TimeSpan size, TimeSpan slide, TimeSpan offset = default) => new(size, slide, offset, true);
    public static SlidingWindows<T> OfProcessingTime(TimeSpan size, TimeSpan slide, TimeSpan offset = default) => new(size, slide, offset, false);

    public override void AssignWindows(T value, long timestamp, long currentProcessingTime, List<TimeWindow> windows)
    {
        var t = _eventTime ? timestamp : currentProcessingTime;
        if (t == Time.Watermark.NoTimestamp)
            throw new InvalidOperationException("a record has no event timestamp: attach a watermark strategy with a timestamp assigner at the source, or use processing-time windows");
        var lastStart = TimeWindow.WindowStart(t, _offset, _slide);
        for (var start = lastStart; start > t - _size; start -= _slide)
            windows.Add(new TimeWindow(start, start + _size));
    }

    public override Trigger<T, TimeWindow> DefaultTrigger => _eventTime ? EventTimeTrigger<T>.Instance : ProcessingTimeTrigger<T>.Instance;
    public override bool IsEventTime => _eventTime;
    public override string Describe() => $"Sliding{(_eventTime ? "EventTime" : "ProcessingTime")}({_size} ms, slide {_slide} ms)";
}

/// <summary>
/// Session windows: a record opens [t, t + gap); windows of one key that overlap merge, so a session ends
/// after <c>gap</c> without records (Flink: EventTimeSessionWindows).
/// </summary>
public sealed class SessionWindows<T> : WindowAssigner<T, TimeWindow>
{
    private readonly long _gap;
    private readonly bool _eventTime;

    private SessionWindows(TimeSpan gap, bool eventTime)
    {
        _gap = (long)gap.TotalMilliseconds;
        if (_gap <= 0) throw new ArgumentOutOfRangeException(nameof(gap), "session gap must be at least 1 ms");
        _eventTime = eventTime;
    }

    public static SessionWindows<T> WithEventTimeGap(TimeSpan gap) => new(gap, true);
    public static SessionWindows<T> WithProcessingTimeGap(TimeSpan gap) => new(gap, false);

    public override void AssignWindows(T value, long timestamp, long currentProcessingTime, List<TimeWindow> windows)
    {
        var t = _eventTime ? timestamp : currentProcessingTime;
        if (t == Time.Watermark.NoTimestamp)
            throw new InvalidOperationException("a record has no event timestamp: attach a watermark strategy with a timestamp assigner at the source, or use processing-time windows");
        windows.Add(new TimeWindow(t, t + _gap));
    }

    public override Trigger<T, TimeWindow> DefaultTrigger => _eventTime ? EventTimeTrigger<T>.Instance : ProcessingTimeTrigger<T>.Instance;
    public override bool IsEventTime => _eventTime;
    public override bool IsMerging => true;
    public override string Describe() => $"Session{(_eventTime ? "EventTime" : "ProcessingTime")}(gap {_gap} ms)";

    /// <summary>Merges overlapping windows: returns groups (merged window, originals) with at least two members.</summary>
    public static void MergeWindows(IReadOnlyCollection<TimeWindow> windows, List<(TimeWindow Merged, List<TimeWindow> Parts)> merges)
    {
        var sorted = windows.OrderBy(w => w.Start).ToList();
        TimeWindow? current = null;
        var parts = new List<TimeWindow>();
        foreach (var w in sorted)
        {
            if (current is null) { current = w; parts.Add(w); continue; }
            if (current.Value.Intersects(w)) { current = current.Value.Cover(w); parts.Add(w); }
            else
            {
                if (parts.Count > 1) merges.Add((current.Value, parts));
                current = w; parts = [w];
            }
        }
        if (current is not null && parts.Count > 1) merges.Add((current.Value, parts));
    }
}

/// <summary>Puts every record into the one <see cref="GlobalWindow"/>; needs a trigger such as <see cref="CountTrigger{T,W}"/>.</summary>
public sealed class GlobalWindows<T> : WindowAssigner<T, GlobalWindow>
{
    public static GlobalWindows<T> Create() => new();
    public override void AssignWindows(T value, long timestamp, long currentProcessingTime, List<GlobalWindow> windows) => windows.Add(GlobalWindow.Instance);
    public override Trigger<T, GlobalWindow> DefaultTrigger => NeverTrigger<T>.Instance;
    public override bool IsEventTime => false;
    public override string Describe() => "GlobalWindows";
}
