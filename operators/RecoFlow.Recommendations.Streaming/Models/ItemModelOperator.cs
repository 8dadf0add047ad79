using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Models;

/// <summary>
/// The item-side model, on a stream keyed by item id: per item, ISGD item factors (Vinagre et al. 2014, with negative
/// sampling and optional replay), time-decayed popularity and a bounded, time-decayed
/// co-visitation neighbour list, all in keyed state. The user factors that ISGD needs for an item step are this
/// subtask's training copy, in operator state (a dataflow without cycles cannot hand the scoring tasks' user factors
/// back to this task). Negative samples and replay pairs are drawn from this subtask's own items.
/// <para><b>Emits</b> a <see cref="ModelDelta"/> (the items changed since the previous one) when event time crosses a
/// multiple of the publish interval: before processing the first record at or past the boundary, on a watermark past
/// it, and at the end of input. A version with cut c contains every record with timestamp &lt; c this subtask has
/// processed, and none later (input is expected in timestamp order per key; later ones count for the next version).</para>
/// <para><b>Refit</b> (with <see cref="ItemModelOptions.RetrainInterval"/>): the positive interactions of the last
/// <see cref="ItemModelOptions.RetrainWindow"/> of event time are kept (at most <see cref="ItemModelOptions.RetrainMaxInteractions"/>,
/// oldest dropped). When event time crosses a multiple of the retrain interval (before the first record at or past it,
/// or on a watermark past it), the pending online changes are published with that cut, then the item factors are refit
/// by <see cref="ItemModelOptions.RetrainEpochs"/> ISGD passes over the window (oldest first, with negative samples),
/// starting from the current factors, and every item whose factors changed is published as a version of kind
/// <see cref="ModelDelta.RefitKind"/> with the same cut. Warm-started passes keep the factors in the latent space of
/// the user factors the scoring tasks have folded in; a batch factorisation from scratch would not.</para>
/// <para><b>Event-time order</b> (<see cref="ItemModelOptions.EventTimeOrder"/>): records wait in the subtask's state
/// until the watermark passes them, then are learned by (time, user), and versions are cut at the first boundary after
/// their records, so the versions of a replay do not depend on how the upstream tasks' records interleaved.</para>
/// <para><b>State</b>: <see cref="ItemModelState"/> per item (keyed); <see cref="ItemTrainerState"/> per subtask
/// (union list state with one element: restored at another parallelism, every subtask receives all old subtasks'
/// elements and keeps the part of its own items, <see cref="ItemTrainerRescale"/>).</para>
/// </summary>
public sealed class ItemModelOperator(ItemModelOptions? options = null) : OneInputOperator<ItemFeedback, ModelDelta>
{
    private const byte FactorsDirty = 1, PopularityDirty = 2, NeighboursDirty = 4;
    public static readonly ValueStateDescriptor<ItemModelState> ItemState = new("item-model");

    private readonly ItemModelOptions _o = options ?? new ItemModelOptions();
    private IKeyedStateBackend<string>? _backend;
    private IValueState<ItemModelState>? _items;
    private ItemTrainerState _s = new();
    private SplitMix64 _rng = new(0);

    public override void InitializeState(IStateInitializationContext context)
    {
        _backend = Context.GetKeyedStateBackend<string>();
        _items = _backend.GetValueState(ItemState);
        // Union list state: on rescale every subtask gets all old subtasks' trainer states and keeps its part of them.
        var list = Context.OperatorState.GetUnionListState<ItemTrainerState>("item-trainer");
        var legacy = Context.OperatorState.GetListState<ItemTrainerState>("item-trainer");
        var restored = list.Concat(legacy).ToList();
        legacy.Clear();
        int replay = _o.ReplaySteps > 0 ? Math.Max(1, _o.ReplayBuffer) : 1;
        if (restored.Count == 0)
            _s = new ItemTrainerState { RngState = _o.Seed ^ (ulong)Context.SubtaskIndex, ReplayUsers = new string[replay], ReplayItems = new string[replay] };
        else if (ItemTrainerRescale.IsOwn(restored, Context.SubtaskIndex, Context.Parallelism)) _s = restored[0];
        else
        {
            _s = ItemTrainerRescale.Merge(restored, _backend.OwnsKey, Context.SubtaskIndex, Context.Parallelism, replay, _o.Seed);
        }
        _s.Subtask = Context.SubtaskIndex;
        _s.Parallelism = Context.Parallelism;
        list.Clear();
        list.Add(_s);
        _rng = new SplitMix64(_s.RngState);
    }

    private long IntervalMs => Math.Max(1, (long)_o.EffectivePublishInterval.TotalMilliseconds);
    private long Align(long t) => (long)Math.Floor((double)t / IntervalMs) * IntervalMs;
    private long RetrainMs => Math.Max(1, (long)_o.RetrainInterval!.Value.TotalMilliseconds);
    private long AlignRetrain(long t) => (long)Math.Floor((double)t / RetrainMs) * RetrainMs;

    public override void ProcessElement(ItemFeedback value, long timestamp)
    {
        if (_o.EventTimeOrder) _s.Waiting.Add(value);
        else Learn(value);
    }

    /// <summary>With <see cref="ItemModelOptions.EventTimeOrder"/>: learns the waiting records at or before <paramref name="watermark"/> in the order of <see cref="EventTimeQueue"/>.</summary>
    private void LearnUpTo(long watermark)
    {
        if (_s.Waiting.Count == 0) return;
        var (due, rest) = EventTimeQueue.Split(_s.Waiting, watermark, f => f.TimestampMs, f => f.UserKey);
        _s.Waiting = rest;
        foreach (var f in due) Learn(f);
    }

    private void Learn(ItemFeedback value)
    {
        long t = value.TimestampMs;
        if (_s.NextBoundaryMs == long.MinValue) _s.NextBoundaryMs = Align(t) + IntervalMs;
        if (t >= _s.NextBoundaryMs)
        {
            // In event-time order the pending changes all precede the boundary: cut there, whatever watermark came first.
            Publish(_o.EventTimeOrder ? _s.NextBoundaryMs : Align(t));
            _s.NextBoundaryMs = Align(t) + IntervalMs;
        }
        if (_o.RetrainEnabled)
        {
            if (_s.NextRefitMs == long.MinValue) _s.NextRefitMs = AlignRetrain(t) + RetrainMs;
            else if (t >= _s.NextRefitMs)
            {
                Refit(AlignRetrain(t));
                _s.NextRefitMs = AlignRetrain(t) + RetrainMs;
            }
        }
        _s.MaxTimestampMs = Math.Max(_s.MaxTimestampMs, t);
        if (UserFactorExpiry.Sweep(_s, t, (long)_o.EffectiveUserTimeToLive.TotalMilliseconds) is > 0 and var expired)
            Context.Metrics.Increment("users-expired", expired);

        var item = Load(value.ItemId);
        if (value.EdgeOnly)
        {
            bool linked = false;
            for (int j = 0; j < value.CoItems.Length; j++) linked |= AddEdge(item, value.CoItems[j], value.CoWeights[j], t);
            Store(value.ItemId, item, linked ? NeighboursDirty : (byte)0);
            return;
        }

        double popWeight = value.IsPositive ? 1 : value.Weight < 0 ? 0 : _o.NonPositivePopularityWeight;
        byte dirty = 0;
        if (popWeight > 0)
        {
            item.LogPopularity = LogDecay.Add(item.LogPopularity, LogDecay.Term(popWeight, t, _o.PopularityHalfLifeDays * 86_400_000.0));
            item.LogRecentPopularity = LogDecay.Add(item.LogRecentPopularity, LogDecay.Term(popWeight, t, _o.RecentPopularityHalfLifeDays * 86_400_000.0));
            dirty |= PopularityDirty;
        }
        for (int j = 0; j < value.CoItems.Length; j++)
            if (AddEdge(item, value.CoItems[j], value.CoWeights[j], t)) dirty |= NeighboursDirty;
        Store(value.ItemId, item, dirty);

        if (value.IsPositive)
        {
            if (_o.RetrainEnabled) Remember(value.UserKey, value.ItemId, t);
            UserFactorExpiry.Touch(_s, value.UserKey, t);
            Step(value.UserKey, value.ItemId);
            if (_o.ReplaySteps > 0)
            {
                long filled = Math.Min(_s.ReplayWritten, _s.ReplayUsers.Length);
                for (int r = 0; r < _o.ReplaySteps && filled > 0; r++)
                {
                    int slot = _rng.NextInt((int)filled);
                    Step(_s.ReplayUsers[slot], _s.ReplayItems[slot]);
                }
                int w = (int)(_s.ReplayWritten % _s.ReplayUsers.Length);
                _s.ReplayUsers[w] = value.UserKey;
                _s.ReplayItems[w] = value.ItemId;
                _s.ReplayWritten++;
            }
        }
        _s.RngState = _rng.State;
    }

    protected override void OnWatermark(long watermark)
    {
        if (_o.EventTimeOrder) LearnUpTo(watermark);
        if (watermark == long.MaxValue) return;
        if (_o.RetrainEnabled && _s.NextRefitMs != long.MinValue)
        {
            long refitCut = AlignRetrain(watermark + 1);
            if (refitCut >= _s.NextRefitMs && _s.MaxTimestampMs < refitCut)
            {
                Refit(refitCut);
                _s.NextRefitMs = refitCut + RetrainMs;
            }
        }
        if (_s.DirtyItems.Count == 0) return;
        long cut = _o.EventTimeOrder ? _s.NextBoundaryMs : Align(watermark + 1);
        if (cut <= watermark + 1 && cut >= _s.NextBoundaryMs && _s.MaxTimestampMs < cut)
        {
            Publish(cut);
            _s.NextBoundaryMs = cut + IntervalMs;
        }
    }

    public override void Finish()
    {
        if (_o.EventTimeOrder) LearnUpTo(long.MaxValue);
        if (_s.DirtyItems.Count > 0) Publish(_s.MaxTimestampMs + 1);
    }

    /// <summary>Adds a positive interaction to the retraining window, dropping the oldest beyond the cap.</summary>
    private void Remember(string user, string item, long t)
    {
        _s.WindowUsers.Add(user);
        _s.WindowItems.Add(item);
        _s.WindowTimes.Add(t);
        if (_s.WindowCount > Math.Max(1, _o.RetrainMaxInteractions)) _s.WindowStart++;
        CompactWindow();
    }

    private void CompactWindow()
    {
        if (_s.WindowStart == 0) return;
        if (_s.WindowStart < _s.WindowUsers.Count && (_s.WindowStart < 1024 || _s.WindowStart * 2 < _s.WindowUsers.Count)) return;
        _s.WindowUsers.RemoveRange(0, _s.WindowStart);
        _s.WindowItems.RemoveRange(0, _s.WindowStart);
        _s.WindowTimes.RemoveRange(0, _s.WindowStart);
        _s.WindowStart = 0;
    }

    /// <summary>Publishes pending online changes with <paramref name="cut"/>, then refits the item factors over the window and publishes them as a "refit" version with the same cut.</summary>
    private void Refit(long cut)
    {
        Publish(cut);
        long from = cut - (long)_o.EffectiveRetrainWindow.TotalMilliseconds;
        while (_s.WindowCount > 0 && _s.WindowTimes[_s.WindowStart] < from) _s.WindowStart++;
        CompactWindow();
        if (_s.WindowCount == 0) return;

        var touched = new Dictionary<string, ItemModelState>(StringComparer.Ordinal);
        float[] FactorsOf(string id)
        {
            if (!touched.TryGetValue(id, out var st))
            {
                st = Load(id);
                touched[id] = st;
            }
            if (st.Factors is null)
            {
                st.Factors = NewVector();
                _s.KnownItems.Add(id);
            }
            return st.Factors;
        }
        for (int epoch = 0; epoch < Math.Max(1, _o.RetrainEpochs); epoch++)
        {
            for (int j = _s.WindowStart; j < _s.WindowUsers.Count; j++)
            {
                string user = _s.WindowUsers[j], itemId = _s.WindowItems[j];
                if (!_s.UserFactors.TryGetValue(user, out var p))
                {
                    p = NewVector();
                    _s.UserFactors[user] = p;
                }
                Sgd(p, FactorsOf(itemId), 1f);
                for (int n = 0; n < _o.NegativeSamples && _s.KnownItems.Count > 1; n++)
                {
                    string neg = _s.KnownItems[_rng.NextInt(_s.KnownItems.Count)];
                    if (neg != itemId) Sgd(p, FactorsOf(neg), 0f);
                }
            }
        }
        foreach (var (id, st) in touched) Store(id, st, FactorsDirty);
        _s.RngState = _rng.State;
        _s.Refits++;
        Context.Metrics.Increment("model-refits");
        Publish(cut, ModelDelta.RefitKind);
    }

    /// <summary>One ISGD step on (user, item) with target 1, then the negative steps with target 0.</summary>
    private void Step(string user, string itemId)
    {
        if (!_s.UserFactors.TryGetValue(user, out var p))
        {
            p = NewVector();
            _s.UserFactors[user] = p;
        }
        var item = Load(itemId);
        if (item.Factors is null)
        {
            item.Factors = NewVector();
            _s.KnownItems.Add(itemId);
        }
        Sgd(p, item.Factors, 1f);
        Store(itemId, item, FactorsDirty);
        for (int j = 0; j < _o.NegativeSamples && _s.KnownItems.Count > 1; j++)
        {
            string neg = _s.KnownItems[_rng.NextInt(_s.KnownItems.Count)];
            if (neg == itemId) continue;
            var n = Load(neg);
            Sgd(p, n.Factors!, 0f);
            Store(neg, n, FactorsDirty);
        }
    }

    private void Sgd(float[] p, float[] q, float target)
    {
        float dot = 0;
        for (int f = 0; f < p.Length; f++) dot += p[f] * q[f];
        float err = target - dot, eta = _o.LearnRate, lambda = _o.Regularization;
        for (int f = 0; f < p.Length; f++)
        {
            float pf = p[f], qf = q[f];
            p[f] = pf + eta * (err * qf - lambda * pf);
            q[f] = qf + eta * (err * pf - lambda * qf);
        }
    }

    private float[] NewVector()
    {
        var v = new float[_o.Factors];
        for (int f = 0; f < v.Length; f++) v[f] = (float)(_rng.NextGaussian() * _o.InitStdDev);
        return v;
    }

    /// <summary>Adds a co-visitation edge of <paramref name="weight"/> at <paramref name="t"/>; false when the list is full of stronger links and stays unchanged.</summary>
    private bool AddEdge(ItemModelState item, string other, float weight, long t) =>
        item.Link(other, LogDecay.Term(weight, t, _o.CoVisitationHalfLifeDays * 86_400_000.0), _o.MaxNeighbours);

    private ItemModelState Load(string itemId)
    {
        _backend!.CurrentKey = itemId;
        return _items!.Value ?? new ItemModelState();
    }

    private void Store(string itemId, ItemModelState item, byte dirty)
    {
        if (dirty != 0 && item.Dirty == 0) _s.DirtyItems.Add(itemId);
        item.Dirty |= dirty;
        _backend!.CurrentKey = itemId;
        _items!.Update(item);
    }

    private void Publish(long cut, string kind = ModelDelta.OnlineKind)
    {
        if (_s.DirtyItems.Count == 0) return;
        var entries = new ItemEntry[_s.DirtyItems.Count];
        for (int j = 0; j < entries.Length; j++)
        {
            string id = _s.DirtyItems[j];
            var item = Load(id);
            entries[j] = new ItemEntry
            {
                ItemId = id,
                Factors = (item.Dirty & FactorsDirty) != 0 && item.Factors is not null ? (float[])item.Factors.Clone() : null,
                LogPopularity = (item.Dirty & PopularityDirty) != 0 ? item.LogPopularity : null,
                LogRecentPopularity = (item.Dirty & PopularityDirty) != 0 ? item.LogRecentPopularity : null,
            };
            if ((item.Dirty & NeighboursDirty) != 0) item.PublishNeighbours(entries[j]);
            item.Dirty = 0;
            _items!.Update(item);
        }
        _s.DirtyItems.Clear();
        _s.Version++;
        Context.Metrics.Increment("versions-published");
        Output.Collect(new ModelDelta { Version = _s.Version, CutMs = cut, Subtask = Context.SubtaskIndex, Kind = kind, Items = entries }, cut - 1);
    }
}
