namespace RecoFlow.Api.Windows;

/// <summary>What a trigger decides for a window (Flink: TriggerResult).</summary>
[Flags]
public enum TriggerResult
{
    /// <summary>Do nothing.</summary>
    Continue = 0,
    /// <summary>Emit the window's result; keep its contents.</summary>
    Fire = 1,
    /// <summary>Drop the window's contents without emitting.</summary>
    Purge = 2,
    /// <summary>Emit, then drop the contents.</summary>
    FireAndPurge = Fire | Purge,
}

/// <summary>What a trigger may do: timers and small per-(key, window) counters.</summary>
public interface ITriggerContext
{
    long CurrentWatermark { get; }
    long CurrentProcessingTime { get; }
    void RegisterEventTimeTimer(long time);
    void DeleteEventTimeTimer(long time);
    void RegisterProcessingTimeTimer(long time);
    void DeleteProcessingTimeTimer(long time);

    /// <summary>A counter scoped to the current key and window; 0 when unset.</summary>
    long GetCounter(string name);
    void SetCounter(string name, long value);
    void ClearCounter(string name);
}

/// <summary>Given to <see cref="Trigger{T,W}.OnMerge"/>: counters of the merged windows, combined.</summary>
public interface IOnMergeContext : ITriggerContext
{
    /// <summary>Combines the counters of the merged-away windows into the new window's counter.</summary>
    void MergeCounter(string name, Func<long, long, long> combine);
}

/// <summary>Decides when a window fires and when it is purged (Flink: Trigger). A trigger instance is shared by all windows: keep state in the context.</summary>
public abstract class Trigger<T, TWindow> where TWindow : IWindow
{
    public abstract TriggerResult OnElement(T value, long timestamp, TWindow window, ITriggerContext context);
    public abstract TriggerResult OnEventTime(long time, TWindow window, ITriggerContext context);
    public abstract TriggerResult OnProcessingTime(long time, TWindow window, ITriggerContext context);
    public virtual bool CanMerge => false;
    public virtual void OnMerge(TWindow window, IOnMergeContext context) => throw new NotSupportedException($"{GetType().Name} does not support merging windows");
    public abstract void Clear(TWindow window, ITriggerContext context);
    public abstract string Describe();
}

/// <summary>Fires once the watermark passes the end of the window; late records within allowed lateness fire again at once.</summary>
public sealed class EventTimeTrigger<T> : Trigger<T, TimeWindow>
{
    public static readonly EventTimeTrigger<T> Instance = new();

    public override TriggerResult OnElement(T value, long timestamp, TimeWindow window, ITriggerContext context)
    {
        if (window.MaxTimestamp <= context.CurrentWatermark) return TriggerResult.Fire;
        context.RegisterEventTimeTimer(window.MaxTimestamp);
        return TriggerResult.Continue;
    }

    public override TriggerResult OnEventTime(long time, TimeWindow window, ITriggerContext context) =>
        time == window.MaxTimestamp ? TriggerResult.Fire : TriggerResult.Continue;

    public override TriggerResult OnProcessingTime(long time, TimeWindow window, ITriggerContext context) => TriggerResult.Continue;
    public override bool CanMerge => true;

    public override void OnMerge(TimeWindow window, IOnMergeContext context)
    {
        if (window.MaxTimestamp > context.CurrentWatermark) context.RegisterEventTimeTimer(window.MaxTimestamp);
    }

    public override void Clear(TimeWindow window, ITriggerContext context) => context.DeleteEventTimeTimer(window.MaxTimestamp);
    public override string Describe() => "EventTimeTrigger";
}

/// <summary>Fires when the wall clock passes the end of the window.</summary>
public sealed class ProcessingTimeTrigger<T> : Trigger<T, TimeWindow>
{
    public static readonly ProcessingTimeTrigger<T> Instance = new();

    public override TriggerResult OnElement(T value, long timestamp, TimeWindow window, ITriggerContext context)
    {
        context.RegisterProcessingTimeTimer(window.MaxTimestamp);
        return TriggerResult.Continue;
    }

    public override TriggerResult OnEventTime(long time, TimeWindow window, ITriggerContext context) => TriggerResult.Continue;
    public override TriggerResult OnProcessingTime(long time, TimeWindow window, ITriggerContext context) => TriggerResult.Fire;
    public override bool CanMerge => true;
    public override void OnMerge(TimeWindow window, IOnMergeContext context) => context.RegisterProcessingTimeTimer(window.MaxTimestamp);
    public override void Clear(TimeWindow window, ITriggerContext context) => context.DeleteProcessingTimeTimer(window.MaxTimestamp);
    public override string Describe() => "ProcessingTimeTrigger";
}

/// <summary>Fires (and with <c>purge</c>, purges) every <c>count</c> records in a window.</summary>
public sealed class CountTrigger<T, TWindow> : Trigger<T, TWindow> where TWindow : IWindow
{
    private const string Counter = "count";
    private readonly long _count;

    public CountTrigger(long count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "count must be at least 1");
        _count = count;
    }

    public override TriggerResult OnElement(T value, long timestamp, TWindow window, ITriggerContext context)
    {
        var n = context.GetCounter(Counter) + 1;
        if (n >= _count)
        {
            context.ClearCounter(Counter);
            return TriggerResult.Fire;
        }
        context.SetCounter(Counter, n);
        return TriggerResult.Continue;
    }

    public override TriggerResult OnEventTime(long time, TWindow window, ITriggerContext context) => TriggerResult.Continue;
    public override TriggerResult OnProcessingTime(long time, TWindow window, ITriggerContext context) => TriggerResult.Continue;
    public override bool CanMerge => true;
    public override void OnMerge(TWindow window, IOnMergeContext context) => context.MergeCounter(Counter, (a, b) => a + b);
    public override void Clear(TWindow window, ITriggerContext context) => context.ClearCounter(Counter);
    public override string Describe() => $"CountTrigger({_count})";
}

/// <summary>Fires periodically in event time (every <c>interval</c> of watermark progress) and at the end of the window.</summary>
public sealed class ContinuousEventTimeTrigger<T> : Trigger<T, TimeWindow>
{
    private const string NextFire = "next-fire";
    private readonly long _interval;

    public ContinuousEventTimeTrigger(TimeSpan interval)
    {
        _interval = (long)interval.TotalMilliseconds;
        if (_interval <= 0) throw new ArgumentOutOfRangeException(nameof(interval), "interval must be at least 1 ms");
    }

    public override TriggerResult OnElement(T value, long timestamp, TimeWindow window, ITriggerContext context)
    {
        if (window.MaxTimestamp <= context.CurrentWatermark) return TriggerResult.Fire;
        context.RegisterEventTimeTimer(window.MaxTimestamp);
        if (context.GetCounter(NextFire) == 0)
        {
            var next = Math.Min(TimeWindow.WindowStart(timestamp, 0, _interval) + _interval, window.MaxTimestamp);
            context.RegisterEventTimeTimer(next);
            context.SetCounter(NextFire, next);
        }
        return TriggerResult.Continue;
    }

    public override TriggerResult OnEventTime(long time, TimeWindow window, ITriggerContext context)
    {
        if (time == window.MaxTimestamp) return TriggerResult.Fire;
        if (context.GetCounter(NextFire) == time)
        {
            var next = Math.Min(time + _interval, window.MaxTimestamp);
            context.RegisterEventTimeTimer(next);
            context.SetCounter(NextFire, next);
            return TriggerResult.Fire;
        }
        return TriggerResult.Continue;
    }

    public override TriggerResult OnProcessingTime(long time, TimeWindow window, ITriggerContext context) => TriggerResult.Continue;
    public override bool CanMerge => true;

    public override void OnMerge(TimeWindow window, IOnMergeContext context)
    {
        context.MergeCounter(NextFire, (a, b) => a == 0 ? b : b == 0 ? a : Math.Min(a, b));
        var next = context.GetCounter(NextFire);
        if (next != 0) context.RegisterEventTimeTimer(next);
        if (window.MaxTimestamp > context.CurrentWatermark) context.RegisterEventTimeTimer(window.MaxTimestamp);
    }

    public override void Clear(TimeWindow window, ITriggerContext context)
    {
        var next = context.GetCounter(NextFire);
        if (next != 0) context.DeleteEventTimeTimer(next);
        context.ClearCounter(NextFire);
        context.DeleteEventTimeTimer(window.MaxTimestamp);
    }

    public override string Describe() => $"ContinuousEventTimeTrigger({_interval} ms)";
}

/// <summary>Fires every <c>interval</c> of wall-clock time while the window has records.</summary>
public sealed class ContinuousProcessingTimeTrigger<T, TWindow> : Trigger<T, TWindow> where TWindow : IWindow
{
    private const string NextFire = "next-fire";
    private readonly long _interval;

    public ContinuousProcessingTimeTrigger(TimeSpan interval)
    {
        _interval = (long)interval.TotalMilliseconds;
        if (_interval <= 0) throw new ArgumentOutOfRangeException(nameof(interval), "interval must be at least 1 ms");
    }

    public override TriggerResult OnElement(T value, long timestamp, TWindow window, ITriggerContext context)
    {
        if (context.GetCounter(NextFire) == 0)
        {
            var now = context.CurrentProcessingTime;
            var next = TimeWindow.WindowStart(now, 0, _interval) + _interval;
            context.RegisterProcessingTimeTimer(next);
            context.SetCounter(NextFire, next);
        }
        return TriggerResult.Continue;
    }

    public override TriggerResult OnEventTime(long time, TWindow window, ITriggerContext context) => TriggerResult.Continue;

    public override TriggerResult OnProcessingTime(long time, TWindow window, ITriggerContext context)
    {
        if (context.GetCounter(NextFire) != time) return TriggerResult.Continue;
        context.RegisterProcessingTimeTimer(time + _interval);
        context.SetCounter(NextFire, time + _interval);
        return TriggerResult.Fire;
    }

    public override bool CanMerge => true;
    public override void OnMerge(TWindow window, IOnMergeContext context)
    {
        context.MergeCounter(NextFire, (a, b) => a == 0 ? b : b == 0 ? a : Math.Min(a, b));
        var next = context.GetCounter(NextFire);
        if (next != 0) context.RegisterProcessingTimeTimer(next);
    }

    public override void Clear(TWindow window, ITriggerContext context)
    {
        var next = context.GetCounter(NextFire);
        if (next != 0) context.DeleteProcessingTimeTimer(next);
        context.ClearCounter(NextFire);
    }

    public override string Describe() => $"ContinuousProcessingTimeTrigger({_interval} ms)";
}

/// <summary>Turns every Fire of the wrapped trigger into FireAndPurge.</summary>
public sealed class PurgingTrigger<T, TWindow>(Trigger<T, TWindow> inner) : Trigger<T, TWindow> where TWindow : IWindow
{
    private static TriggerResult Purging(TriggerResult r) => (r & TriggerResult.Fire) != 0 ? TriggerResult.FireAndPurge : r;
    public override TriggerResult OnElement(T value, long timestamp, TWindow window, ITriggerContext context) => Purging(inner.OnElement(value, timestamp, window, context));
    public override TriggerResult OnEventTime(long time, TWindow window, ITriggerContext context) => Purging(inner.OnEventTime(time, window, context));
    public override TriggerResult OnProcessingTime(long time, TWindow window, ITriggerContext context) => Purging(inner.OnProcessingTime(time, window, context));
    public override bool CanMerge => inner.CanMerge;
    public override void OnMerge(TWindow window, IOnMergeContext context) => inner.OnMerge(window, context);
    public override void Clear(TWindow window, ITriggerContext context) => inner.Clear(window, context);
    public override string Describe() => $"Purging({inner.Describe()})";
}

/// <summary>Never fires: the default of <see cref="GlobalWindows{T}"/>, so a trigger must be set.</summary>
public sealed class NeverTrigger<T> : Trigger<T, GlobalWindow>
{
    public static readonly NeverTrigger<T> Instance = new();
    public override TriggerResult OnElement(T value, long timestamp, GlobalWindow window, ITriggerContext context) => TriggerResult.Continue;
    public override TriggerResult OnEventTime(long time, GlobalWindow window, ITriggerContext context) => TriggerResult.Continue;
    public override TriggerResult OnProcessingTime(long time, GlobalWindow window, ITriggerContext context) => TriggerResult.Continue;
    public override void Clear(GlobalWindow window, ITriggerContext context) { }
    public override string Describe() => "NeverTrigger";
}
