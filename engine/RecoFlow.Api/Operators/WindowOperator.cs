using RecoFlow.Api.Functions;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;

namespace RecoFlow.Api.Operators;

/// <summary>
/// Keyed windows with incremental aggregation (Flink: WindowOperator). Terms: a <em>pane</em> is the accumulator of
/// one (key, window); the <em>cleanup time</em> of a window is its max timestamp plus the allowed lateness (event time)
/// or its max timestamp (processing time).
/// <para>Emits when the trigger fires for a pane: the window function's results, timestamped with the window's max
/// timestamp. A record whose windows are all past their cleanup time is late: it goes to the late-data side output, or
/// is dropped and counted. Keeps, per key: one accumulator per live window, the trigger's counters, and timers; all are
/// checkpointed. Session windows merge panes of one key when their windows overlap.</para>
/// </summary>
public sealed class WindowOperator<TKey, TIn, TAcc, TAggOut, TOut, TWindow>
    : KeyedOneInputOperator<TKey, TIn, TOut>, ITimerCallback<TKey, TWindow>
    where TKey : notnull where TWindow : IWindow
{
    private readonly WindowSettings<TIn, TWindow> _settings;
    private readonly IAggregateFunction<TIn, TAcc, TAggOut> _aggregate;
    private readonly WindowFunction<TAggOut, TOut, TKey, TWindow> _function;
    private readonly List<TWindow> _assigned = [];
    private readonly WindowContext _ctx;
    private INamespacedState<TKey, TWindow, TAcc>? _panes;
    private INamespacedState<TKey, TriggerCounterKey<TWindow>, long>? _counters;
    private ITimerService<TKey, TWindow>? _timers;

    public WindowOperator(Func<TIn, TKey> keySelector, WindowSettings<TIn, TWindow> settings, IAggregateFunction<TIn, TAcc, TAggOut> aggregate, WindowFunction<TAggOut, TOut, TKey, TWindow> function)
        : base(keySelector)
    {
        _settings = settings;
        _aggregate = aggregate;
        _function = function;
        _ctx = new WindowContext(this);
        _plainEventTimeTrigger = settings.Assigner.IsEventTime && !settings.Assigner.IsMerging && settings.Trigger is EventTimeTrigger<TIn>;
        if (settings.Assigner.IsMerging && !settings.Trigger.CanMerge)
            throw new ArgumentException($"trigger {settings.Trigger.Describe()} cannot be used with merging windows ({settings.Assigner.Describe()})", nameof(settings));
    }

    private bool EventTime => _settings.Assigner.IsEventTime;

    /// <summary>Event time, no merging, and the stock <see cref="EventTimeTrigger{T}"/> (see the fast path in <see cref="ProcessKeyed"/>).</summary>
    private readonly bool _plainEventTimeTrigger;

    public override void Open()
    {
        _panes = Backend.GetNamespacedState<TWindow, TAcc>("window-contents");
        _counters = Backend.GetNamespacedState<TriggerCounterKey<TWindow>, long>("window-trigger");
        _timers = Backend.GetTimerService("window-timers", this);
        _function.Open(new FunctionRuntimeContext(Context));
    }

    public override void Dispose()
    {
        _function.Close();
        base.Dispose();
    }

    protected override void ProcessKeyed(TKey key, TIn value, long timestamp)
    {
        _assigned.Clear();
        // Event-time assigners do not read the wall clock, so it is not read per record for them (a clock read is a
        // system call on some virtual machines).
        _settings.Assigner.AssignWindows(value, timestamp, EventTime ? Time.Watermark.NoTimestamp : _timers!.CurrentProcessingTime, _assigned);
        if (_settings.Assigner.IsMerging) MergeNewWindow(timestamp);

        var skipped = true;
        foreach (var window in _assigned)
        {
            if (IsWindowLate(window)) continue;
            skipped = false;
            ref var acc = ref _panes!.GetOrAddRef(window, out var exists);
            acc = _aggregate.Add(value, exists ? acc! : _aggregate.CreateAccumulator());
            // Fast path for the common case: an event-time trigger on a pane that already exists and whose end the
            // watermark has not passed. The trigger would only register its end-of-window timer again, and the
            // cleanup timer was registered with the pane; both are still pending (they fire only once the watermark
            // passes the end, and only merging deletes them). Skipping them saves two timer-set lookups per record.
            if (exists && _plainEventTimeTrigger && window.MaxTimestamp > _timers!.CurrentWatermark) continue;
            _ctx.Window = window;
            var result = _settings.Trigger.OnElement(value, timestamp, window, _ctx);
            Act(key, window, result);
            RegisterCleanupTimer(window);
        }

        if (skipped && EventTime && timestamp + _settings.AllowedLatenessMillis <= _timers!.CurrentWatermark)
        {
            if (_settings.LateDataTag is not null) Output.CollectSide(_settings.LateDataTag, value, timestamp);
            else Context.Metrics.Increment("late-records-dropped");
        }
    }

    /// <summary>Session windows: merge the new window with the key's overlapping panes; the result replaces <see cref="_assigned"/>.</summary>
    private void MergeNewWindow(long timestamp)
    {
        if (_assigned.Count != 1 || _assigned[0] is not TimeWindow fresh) throw new InvalidOperationException("merging window assigners must assign exactly one TimeWindow");
        var all = new List<TimeWindow> { fresh };
        foreach (var ns in _panes!.Namespaces()) if (ns is TimeWindow tw) all.Add(tw);
        var merges = new List<(TimeWindow Merged, List<TimeWindow> Parts)>();
        SessionWindows<TIn>.MergeWindows(all, merges);
        foreach (var (merged, parts) in merges)
        {
            var target = (TWindow)(object)merged;
            var hasAcc = false;
            TAcc acc = default!;
            _ctx.MergedWindows.Clear();
            foreach (var part in parts)
            {
                var w = (TWindow)(object)part;
                if (part == fresh && !_panes.TryGet(w, out _)) continue;
                if (_panes.TryGet(w, out var partAcc))
                {
                    acc = hasAcc ? _aggregate.Merge(acc, partAcc) : partAcc;
                    hasAcc = true;
                    _ctx.Window = w;
                    _settings.Trigger.Clear(w, _ctx);
                    _panes.Remove(w);
                    DeleteCleanupTimer(w);
                    _ctx.MergedWindows.Add(w);
                }
            }
            if (hasAcc) _panes.Set(target, acc);
            _ctx.Window = target;
            _settings.Trigger.OnMerge(target, _ctx);
            foreach (var w in _ctx.MergedWindows) foreach (var c in _ctx.CounterNames) _counters!.Remove(new(w, c));
            if (parts.Contains(fresh)) { _assigned[0] = target; }
        }
    }

    private void Act(TKey key, TWindow window, TriggerResult result)
    {
        if ((result & TriggerResult.Fire) != 0 && _panes!.TryGet(window, out var acc)) Emit(key, window, acc);
        if ((result & TriggerResult.Purge) != 0) _panes!.Remove(window);
    }

    private void Emit(TKey key, TWindow window, TAcc acc)
    {
        _ctx.Window = window;
        _ctx.Timestamp = window.MaxTimestamp;
        _function.Apply(key, window, _aggregate.GetResult(acc), _ctx, _ctx);
    }

    private long CleanupTime(TWindow window)
    {
        if (!EventTime) return window.MaxTimestamp;
        var t = window.MaxTimestamp + _settings.AllowedLatenessMillis;
        return t >= window.MaxTimestamp ? t : long.MaxValue;
    }

    private bool IsWindowLate(TWindow window) => EventTime && CleanupTime(window) <= _timers!.CurrentWatermark;

    private void RegisterCleanupTimer(TWindow window)
    {
        var t = CleanupTime(window);
        if (t == long.MaxValue) return;
        if (EventTime) _timers!.RegisterEventTimeTimer(window, t);
        else _timers!.RegisterProcessingTimeTimer(window, t);
    }

    private void DeleteCleanupTimer(TWindow window)
    {
        var t = CleanupTime(window);
        if (t == long.MaxValue) return;
        if (EventTime) _timers!.DeleteEventTimeTimer(window, t);
        else _timers!.DeleteProcessingTimeTimer(window, t);
    }

    void ITimerCallback<TKey, TWindow>.OnEventTime(TKey key, TWindow window, long time)
    {
        _ctx.Window = window;
        if (_panes!.TryGet(window, out _)) Act(key, window, _settings.Trigger.OnEventTime(time, window, _ctx));
        if (EventTime && time == CleanupTime(window)) ClearAll(window);
    }

    void ITimerCallback<TKey, TWindow>.OnProcessingTime(TKey key, TWindow window, long time)
    {
        _ctx.Window = window;
        if (_panes!.TryGet(window, out _)) Act(key, window, _settings.Trigger.OnProcessingTime(time, window, _ctx));
        if (!EventTime && time == CleanupTime(window)) ClearAll(window);
    }

    private void ClearAll(TWindow window)
    {
        _panes!.Remove(window);
        _ctx.Window = window;
        _settings.Trigger.Clear(window, _ctx);
        foreach (var c in _ctx.CounterNames) _counters!.Remove(new(window, c));
    }

    /// <summary>Trigger context, window context and collector in one reusable object.</summary>
    private sealed class WindowContext(WindowOperator<TKey, TIn, TAcc, TAggOut, TOut, TWindow> op) : IOnMergeContext, IWindowContext<TWindow>, ICollector<TOut>
    {
        public TWindow Window { get; set; } = default!;
        public long Timestamp { get; set; }
        public List<TWindow> MergedWindows { get; } = [];
        public HashSet<string> CounterNames { get; } = [];

        public long CurrentWatermark => op._timers!.CurrentWatermark;
        public long CurrentProcessingTime => op._timers!.CurrentProcessingTime;
        public void RegisterEventTimeTimer(long time) => op._timers!.RegisterEventTimeTimer(Window, time);
        public void DeleteEventTimeTimer(long time) => op._timers!.DeleteEventTimeTimer(Window, time);
        public void RegisterProcessingTimeTimer(long time) => op._timers!.RegisterProcessingTimeTimer(Window, time);
        public void DeleteProcessingTimeTimer(long time) => op._timers!.DeleteProcessingTimeTimer(Window, time);

        public long GetCounter(string name) => op._counters!.TryGet(new(Window, name), out var v) ? v : 0;

        public void SetCounter(string name, long value)
        {
            CounterNames.Add(name);
            op._counters!.Set(new(Window, name), value);
        }

        public void ClearCounter(string name) => op._counters!.Remove(new(Window, name));

        public void MergeCounter(string name, Func<long, long, long> combine)
        {
            CounterNames.Add(name);
            long result = 0;
            var first = true;
            foreach (var w in MergedWindows)
            {
                if (!op._counters!.TryGet(new(w, name), out var v)) continue;
                result = first ? v : combine(result, v);
                first = false;
            }
            if (!first) op._counters!.Set(new(Window, name), result);
        }

        public void Output<TSide>(OutputTag<TSide> tag, TSide value) => op.Output.CollectSide(tag, value, Timestamp);
        public void Collect(TOut value) => op.Output.Collect(value, Timestamp);
    }
}

/// <summary>Namespace of a trigger counter: the window and the counter's name.</summary>
[MessagePack.MessagePackObject]
public readonly record struct TriggerCounterKey<TWindow>([property: MessagePack.Key(0)] TWindow Window, [property: MessagePack.Key(1)] string Name);
