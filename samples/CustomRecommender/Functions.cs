using RecoFlow.Api.Functions;
using RecoFlow.Api.State;

namespace CustomRecommender;

/// <summary>A user viewed an item at an event time (milliseconds).</summary>
public sealed record View(string User, string Item, long Ts);

/// <summary>A user viewed <see cref="Next"/> right after <see cref="Previous"/>.</summary>
public sealed record Transition(string Previous, string Next);

/// <summary>What to show next to <see cref="Item"/>: the items viewed most often right after it, best first.</summary>
public sealed record Recommendation(string Item, IReadOnlyList<string> Next);

/// <summary>Keyed by user: remembers the user's last item and emits a transition for each new one.</summary>
public sealed class Transitions : KeyedProcessFunction<string, View, Transition>
{
    private IValueState<string>? _last;

    public override void OpenState(IKeyedStateBackend<string> state) => _last = state.GetValueState(new ValueStateDescriptor<string>("last-item"));

    public override void ProcessElement(View value, IKeyedProcessContext<string> context, ICollector<Transition> output)
    {
        if (_last!.Value is { } previous && previous != value.Item) output.Collect(new Transition(previous, value.Item));
        _last.Update(value.Item);
    }
}

/// <summary>
/// Keyed by the previous item: counts which items follow it (co-visitation) and emits its top <c>n</c> each time
/// the counts change.
/// </summary>
public sealed class TopFollowers(int n) : KeyedProcessFunction<string, Transition, Recommendation>
{
    private IMapState<string, long>? _counts;

    public override void OpenState(IKeyedStateBackend<string> state) => _counts = state.GetMapState(new MapStateDescriptor<string, long>("followers"));

    public override void ProcessElement(Transition value, IKeyedProcessContext<string> context, ICollector<Recommendation> output)
    {
        _counts!.Put(value.Next, (_counts.TryGetValue(value.Next, out var count) ? count : 0) + 1);
        var top = _counts.Entries()
            .OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal)
            .Take(n).Select(e => e.Key).ToList();
        output.Collect(new Recommendation(context.CurrentKey, top));
    }
}
