using RecoFlow.Api.Functions;
using RecoFlow.Api.State;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// Second stage of "the maximum per window" (queries 5 and 7): keyed by window end, receives the per-key partial
/// results of one window (stamped with the window's max timestamp by the window operator upstream) and emits, when the
/// watermark passes that timestamp, every record whose measure equals the window's maximum.
/// <para>State per window: the maximum so far and the records that reach it, plus one event-time timer; cleared when
/// the timer fires. Every upstream subtask emits a window's partials before the watermark that closes it, so all
/// partials are in when the timer fires.</para>
/// </summary>
public sealed class MaxPerWindowFunction<T>(Func<T, long> measure) : KeyedProcessFunction<long, T, T>
{
    private IValueState<long>? _max;
    private IListState<T>? _best;

    public override void OpenState(IKeyedStateBackend<long> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _max = state.GetValueState(new ValueStateDescriptor<long>("max"));
        _best = state.GetListState(new ListStateDescriptor<T>("best"));
    }

    public override void ProcessElement(T value, IKeyedProcessContext<long> context, ICollector<T> output)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = measure(value);
        if (!_max!.HasValue)
        {
            context.Timers.RegisterEventTimeTimer(context.Timestamp);
            _max.Update(m);
            _best!.Update([value]);
        }
        else if (m > _max.Value)
        {
            _max.Update(m);
            _best!.Update([value]);
        }
        else if (m == _max.Value)
        {
            _best!.Add(value);
        }
    }

    public override void OnTimer(long timestamp, IOnTimerContext<long> context, ICollector<T> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var v in _best!.Get()) output.Collect(v);
        _max!.Clear();
        _best.Clear();
    }
}
