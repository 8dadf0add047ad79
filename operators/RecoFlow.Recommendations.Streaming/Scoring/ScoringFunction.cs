using RecoFlow.Api.Functions;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// Scores items for a user, keyed by user, reading the item model from broadcast state (one <see cref="ModelStore"/>
/// per subtask, fed by the item model task's versions and by rollback commands).
/// <para>Per event, in order: (1) versions whose cut is at or before the event's time are applied; (2) with
/// <see cref="ScoringOptions.EmitProbes"/>, a positive event of a user with an earlier positive on a new item gets a
/// probe list (on <see cref="ProbesOutput"/>) computed from the state before the event (excluding earlier positives and, optionally, every seen
/// item), and the version's online hit rate counts whether the event's item was in it; otherwise the list served
/// after the user's previous event is counted; (3) the event is learned: seen and positive items, and the user's
/// factors are folded in (ISGD user step against the served item factors of the event's item and the user's recent
/// positives, with sampled negatives); (4) with <see cref="ScoringOptions.EmitAfterEvent"/> the new top-K is emitted
/// and kept as the user's latest list; (5) the automatic-rollback rule is checked. A request
/// (<see cref="UserEvent.IsRequest"/>) only emits the user's current list (<see cref="ListTrigger.Request"/>).</para>
/// <para>Ranking: the candidates of the list (<see cref="CandidateGenerator"/>: co-visitation neighbours of the user's
/// basket, session and recent positives, the popular items of the user's strongest categories and overall; never the
/// whole catalogue) are scored by the learned blend (<see cref="OnlineBlend"/> over <see cref="CandidateFeatures"/>),
/// whose weights each positive event teaches: the list last served to the user (<see cref="ServedLists"/>, while the
/// subtask holds it; not in event-time order, whose runs must not depend on what a restore emptied) or else the list computed from the state before the event (the probe) is the example, the event's
/// item its label. Then optional DPP re-ranking of the best candidates (category kernel,
/// <see cref="ScoringOptions.DppKernel"/>) and serendipity injection. The DPP's pool is the top <see cref="ScoringOptions.DppCandidates"/> or, with
/// <see cref="DppPool.Genre"/>, those plus the best <see cref="ScoringOptions.DppPerGenre"/> of each category
/// (<see cref="CandidatePool"/>); its kernel may be shrunk toward the identity (<see cref="ScoringOptions.DppShrink"/>).
/// Before the first model version, lists are the subtask's popular items (<see cref="ColdStartList"/>).</para>
/// <para>Calibrated relevance (<see cref="DppRelevance.Calibrated"/>): the relevance of a pool item is 100 times its
/// hit probability from the subtask's <see cref="HitCalibrator"/>, learned prequentially: the features of the list
/// served to a user (a probe, an interaction list or a request) are kept in the user's keyed state and labelled by the
/// user's next positive event before that event is learned by anything (user factors, the calibrator's context).</para>
/// <para>Event-time order (<see cref="ScoringOptions.EventTimeOrder"/>): events wait in their user's state
/// (<see cref="WaitingDescriptor"/>) until the watermark of both inputs reaches their time, then go through the steps
/// above by time, user key (the timers' order) and arrival, so that each is scored with every version cut at or before
/// its time, however late it arrived, and the subtask's shared learners (blend, cold-start counts, version hit rates)
/// see the events in one order in every run.</para>
/// <para>Erasure: an <see cref="UserEvent.IsErasure"/> event clears all keyed state of its user and emits an empty list
/// with <see cref="ListTrigger.Erased"/>; the erasures in <paramref name="erasedUsers"/> (the erasure log) are cleared whenever the
/// function opens, after the state was restored. An <see cref="UserEvent.IsExpiry"/> event (user features forgot an
/// inactive user) clears the user's keyed state here too and emits nothing.</para>
/// <para>State: <see cref="UserScoringState"/> per user; the latest list per user (<see cref="LatestDescriptor"/>);
/// the model store, the re-scorers' models and the calibrator's weights (<see cref="HitCalibratorState"/>) in
/// broadcast state; the calibrator's per-user context and pending list in <see cref="UserScoringState.Calibration"/>.</para>
/// </summary>
public sealed class ScoringFunction(Func<ItemCatalog> catalog, ScoringOptions? options = null, Func<IReadOnlyDictionary<string, long>>? erasedUsers = null)
    : KeyedBroadcastProcessFunction<string, ProfiledEvent, ModelMessage, Recommendation>
{
    public const string StoreKey = "model";
    public static readonly MapStateDescriptor<string, ModelStore> ModelDescriptor = new("item-model-versions");
    public static readonly MapStateDescriptor<string, RescorerState> RescorerDescriptor = new("rescorer");
    public static readonly MapStateDescriptor<string, HitCalibratorState> CalibratorDescriptor = new("dpp-calibrator");
    public static readonly MapStateDescriptor<string, OnlineBlendState> BlendDescriptor = new("learned-blend");
    public static readonly MapStateDescriptor<string, DiversityControllerState> DiversityDescriptor = new("diversity-controller");
    public static readonly ValueStateDescriptor<UserScoringState> UserDescriptor = new("user-scoring");
    public static readonly ValueStateDescriptor<Recommendation> LatestDescriptor = new("latest-recommendations");

    /// <summary>With <see cref="ScoringOptions.EventTimeOrder"/>: the user's events that wait for the watermark, in arrival order.</summary>
    public static readonly ListStateDescriptor<ProfiledEvent> WaitingDescriptor = new("waiting-events");

    /// <summary>The kept model versions and their online metrics, reported when they change and every <see cref="ScoringOptions.VersionReportLists"/> lists served.</summary>
    public static readonly OutputTag<ModelVersionRecord> VersionsOutput = new("model-versions");

    /// <summary>With <see cref="ScoringOptions.Diversity"/>: the diversity loop's θ versions, rollbacks and resumes.</summary>
    public static readonly OutputTag<DiversityRecord> DiversityOutput = new("diversity-versions");

    /// <summary>With <see cref="ScoringOptions.EmitProbes"/>: the probe lists, apart from the lists served to users.</summary>
    public static readonly OutputTag<Recommendation> ProbesOutput = new("probes");

    private readonly ScoringOptions _o = options ?? new ScoringOptions();
    private IValueState<UserScoringState>? _user;
    private IValueState<Recommendation>? _latest;
    private IListState<ProfiledEvent>? _waiting;
    private IKeyedStateBackend<string>? _backend;

    // Per subtask, all created in Open from the subtask's catalogue (each subtask runs its own deep copy of the
    // function, SubtaskCopy, so nothing here could be shared anyway; building them in Open keeps the copy small).
    private ItemCatalog? _catalog;
    private StoreIndexes? _indexes;
    private HitCalibrator? _calibrator;
    private PoolRescorer? _rescoring;
    private OnlineBlend? _blend;
    private CandidateGenerator? _generator;
    private Candidates? _candidates;
    private ServedLists? _served;
    private ColdStartList? _coldStart;
    private ListBuilder? _lists;
    private DiversityController? _diversity;

    public override void OpenState(IKeyedStateBackend<string> state)
    {
        _backend = state;
        _user = state.GetValueState(UserDescriptor);
        _latest = state.GetValueState(LatestDescriptor);
        _waiting = state.GetListState(WaitingDescriptor);
    }

    public override void Open()
    {
        _catalog = catalog();
        Users.Erasures.Apply(erasedUsers, _backend!);
        _indexes = new StoreIndexes(_catalog, new CandidateIndex(Math.Max(_o.PopularCandidates, 2 * _o.K), _o.CategoryCandidates));
        var categories = _indexes.Categories;
        _calibrator = ListBuilder.UsesDpp(_o) && _o.DppRelevance == DppRelevance.Calibrated
            ? new HitCalibrator(categories, _catalog.CategoryNames.Count, _o.DppCalibration)
            : null;
        _rescoring = new PoolRescorer(new Rescorer(_o.FtrlRescoring, _o.TreeRescoring), categories);
        _blend = new OnlineBlend(new OnlineBlendOptions(CandidateFeatures.Priors(), _o.BlendLearnRate));
        _generator = new CandidateGenerator(_o, categories);
        _candidates = new Candidates();
        // In event-time order every run, restored or not, must serve the same lists: the example is always recomputed.
        _served = _o.EventTimeOrder ? null : new ServedLists(Candidates.F);
        _coldStart = new ColdStartList(_catalog);
        _lists = new ListBuilder(_o, categories, _catalog, _rescoring, _calibrator);
        _diversity = _o.Diversity is { } d ? new DiversityController(d) : null;
    }

    public override void ProcessBroadcastElement(ModelMessage value, IBroadcastContext context, ICollector<Recommendation> output)
    {
        var map = context.GetBroadcastState(ModelDescriptor);
        if (!map.TryGetValue(StoreKey, out var store))
        {
            store = new ModelStore { VersionsKept = _o.VersionsKept };
            map[StoreKey] = store;
        }
        if (_rescoring!.Enabled)
        {
            var rescorers = context.GetBroadcastState(RescorerDescriptor);
            if (!rescorers.ContainsKey(StoreKey)) rescorers[StoreKey] = Rescorer.NewState(_o.RescoreHashBits);
        }
        var blends = context.GetBroadcastState(BlendDescriptor);
        if (!blends.ContainsKey(StoreKey)) blends[StoreKey] = _blend!.NewState();
        if (_calibrator is not null)
        {
            var calibrators = context.GetBroadcastState(CalibratorDescriptor);
            if (!calibrators.ContainsKey(StoreKey)) calibrators[StoreKey] = new HitCalibratorState();
        }
        if (_diversity is not null) Diversity(value, context);
        if (value.Delta is { } d)
        {
            store.Enqueue(d);
            // A version that arrives while the model is held by a rollback is reported with every kept one; otherwise
            // only the arriving version, as queued (a replay may end before a record applies it), and the versions
            // again when a record applies them.
            if (store.Pinned) Report(store, "published", context, context.Timestamp);
            else context.Output(VersionsOutput, new ModelVersionRecord(store.QueuedVersion(d), "published", Runtime.SubtaskIndex, context.Timestamp));
        }
        if (value.RollbackTo is long v)
        {
            if (store.Rollback(v))
            {
                Runtime.Metrics.Increment("model-rollbacks");
                Report(store, "rollback", context, context.Timestamp);
            }
            else Runtime.DeadLetters.Report($"rollback to version {v}: not among the kept versions", v, context.Timestamp);
        }
        if (value.Resume)
        {
            store.Resume();
            Report(store, "resume", context, context.Timestamp);
        }
    }

    /// <summary>Creates the subtask's diversity loop state with the first broadcast message, and applies its commands.</summary>
    private void Diversity(ModelMessage value, IBroadcastContext context)
    {
        var states = context.GetBroadcastState(DiversityDescriptor);
        if (!states.TryGetValue(StoreKey, out var ds))
        {
            states[StoreKey] = ds = _diversity!.NewState(context.Timestamp);
            context.Output(DiversityOutput, DiversityRecord.Of(ds.Versions[^1], _diversity.Options.Target, "initial", Runtime.SubtaskIndex, context.Timestamp));
        }
        if (value.DiversityRollbackTo is long v)
        {
            if (DiversityController.Rollback(ds, v))
                context.Output(DiversityOutput, DiversityRecord.Of(ds.Versions.Find(x => x.Version == v)!, _diversity!.Options.Target, "rollback", Runtime.SubtaskIndex, context.Timestamp));
            else Runtime.DeadLetters.Report($"diversity rollback to version {v}: not among the kept versions", v, context.Timestamp);
        }
        if (value.DiversityResume)
        {
            DiversityController.Resume(ds);
            context.Output(DiversityOutput, new DiversityRecord(ds.LatestVersion, ds.Theta, DiversityController.WindowIld(ds), _diversity!.Options.Target, ds.Lists, "resume", Runtime.SubtaskIndex, context.Timestamp));
        }
    }

    /// <summary>Emits a <see cref="ModelVersionRecord"/> per kept version on <see cref="VersionsOutput"/>.</summary>
    /// <remarks>With <paramref name="since"/>, only the versions after it and the version it was (superseded now): a later record of a (subtask, version) supersedes an earlier one, so the others stand.</remarks>
    private void Report(ModelStore store, string reason, IProcessContext context, long atMs, long? since = null)
    {
        if (since is null) store.ServedSinceReport = 0;
        foreach (var info in since is long v ? store.VersionsSince(v) : store.Versions())
            context.Output(VersionsOutput, new ModelVersionRecord(info, reason, Runtime.SubtaskIndex, atMs));
    }

    public override void ProcessElement(ProfiledEvent value, IKeyedBroadcastReadContext<string> context, ICollector<Recommendation> output)
    {
        if (!_o.EventTimeOrder)
        {
            Score(value, context, output);
            return;
        }
        // At a watermark at the event's time every event of that time and every version cut at or before it has arrived.
        _waiting!.Add(value);
        context.Timers.RegisterEventTimeTimer(value.Event.TimestampMs);
    }

    /// <summary>With <see cref="ScoringOptions.EventTimeOrder"/>: scores the user's waiting events the watermark has passed, in arrival order.</summary>
    public override void OnTimer(long timestamp, IOnTimerContext<string> context, ICollector<Recommendation> output)
    {
        if (context is not IKeyedBroadcastReadContext<string> read) throw new InvalidOperationException("the scoring function's timers need the broadcast state");
        var waiting = _waiting!.Get();
        if (waiting.Count == 0) return;
        var (due, rest) = EventTimeQueue.Split([.. waiting], timestamp, p => p.Event.TimestampMs, p => p.Event.UserKey);
        if (due.Count == 0) return;
        foreach (var p in due) Score(p, read, output);
        // Written after scoring: an erasure among the due events clears the user's state, timers included.
        _waiting.Update(rest);
        foreach (var p in rest) context.Timers.RegisterEventTimeTimer(p.Event.TimestampMs);
    }

    private void Score(ProfiledEvent value, IKeyedBroadcastReadContext<string> context, ICollector<Recommendation> output)
    {
        var e = value.Event;
        if (e.IsExpiry)
        {
            _served?.Forget(e.UserKey);
            _user!.Clear();
            _latest!.Clear();
            return;
        }
        var store = context.GetBroadcastState(ModelDescriptor).TryGetValue(StoreKey, out var s) ? s : null;
        if (e.IsErasure)
        {
            _served?.Forget(e.UserKey);
            _backend!.ClearKey(e.UserKey);
            output.Collect(new Recommendation(e.UserKey, [], [], store?.CurrentVersion ?? 0, e.EventId, e.TimestampMs, LatencyMs(e), ListTrigger.Erased));
            return;
        }
        // The store is this subtask's own copy: advancing it to the event's time is deterministic in the versions it holds.
        long before = store?.CurrentVersion ?? 0;
        if (store?.AdvanceTo(e.TimestampMs, _indexes!.Touched) > 0) Report(store, "activated", context, e.TimestampMs, since: before);
        var blend = context.GetBroadcastState(BlendDescriptor).TryGetValue(StoreKey, out var bs) ? bs : null;
        var rescorer = _rescoring!.Enabled && context.GetBroadcastState(RescorerDescriptor).TryGetValue(StoreKey, out var rs) ? rs : null;
        var st = _user!.Value ?? UserScoringState.New(e.UserKey, _o.Seed);
        if (_calibrator is not null && context.GetBroadcastState(CalibratorDescriptor).TryGetValue(StoreKey, out var cs))
        {
            _calibrator.Bind(cs);
            st.Calibration ??= new HitCalibratorUser();
        }
        long version = store?.CurrentVersion ?? 0;
        if (e.IsRequest)
        {
            var answer = Recommend(store, blend, rescorer, st, value.After, e, ListTrigger.Request, context);
            KeepServed(e.UserKey, store);
            _latest!.Update(answer);
            if (st.Calibration is not null) _user.Update(st);
            output.Collect(answer);
            return;
        }

        if (e.IsPositive && st.Positives.Count > 0 && !st.Positives.Contains(e.ItemId))
        {
            // The list the user would have been served before this event (the probe): the blend's example, the event's
            // item its label. Only its scored candidates are needed unless it is emitted or teaches the re-scorers.
            // The list last served to the user is that example when this subtask still holds it (ServedLists).
            Recommendation? probe = null;
            bool learned = false;
            if (_o.EmitProbes || rescorer is not null) probe = Recommend(store, blend, rescorer, st, value.Before, e, ListTrigger.Probe, context, serve: _o.EmitProbes);
            else if (store is not null && blend is not null && _served?.TryGet(e.UserKey, store, out var items, out var features) == true)
            {
                LearnFromServed(blend, store, items, features, e.ItemId);
                learned = true;
            }
            else
            {
                _rescoring!.Clear();
                ScoreCandidates(store, blend, st, value.Before);
            }
            if (!learned && blend is not null && store is not null && _candidates!.Count > 0)
                _blend!.Learn(blend, _candidates.Features, _candidates.Scores, _candidates.Count, _candidates.SlotOf(store.IndexOf(e.ItemId)));
            if (_o.EmitProbes)
            {
                store?.RecordServed(version, Array.IndexOf(probe!.Items, e.ItemId) >= 0);
                context.Output(ProbesOutput, probe!);
            }
            else if (st.LastServed is not null) store?.RecordServed(st.LastServedVersion, Array.IndexOf(st.LastServed, e.ItemId) >= 0);
            if (rescorer is not null && store is not null) _rescoring!.Learn(rescorer, store, probe!.Items, e);
        }

        // Prequential: the event labels the list last served to the user before anything else learns from it.
        if (st.Calibration is { } cal)
        {
            if (store is not null) _indexes!.SyncCategories(store);
            _calibrator!.Learn(cal, store?.IndexOf(e.ItemId) ?? -1, e.IsPositive, e.TimestampMs);
        }
        Learn(store, st, value);

        if (_o.EmitAfterEvent)
        {
            var recs = Recommend(store, blend, rescorer, st, value.After, e, ListTrigger.Interaction, context);
            KeepServed(e.UserKey, store);
            st.LastServed = recs.Items;
            st.LastServedVersion = recs.ModelVersion;
            _latest!.Update(recs);
            output.Collect(recs);
        }
        _user.Update(st);

        if (store is not null && _o.VersionReportLists > 0 && store.ServedSinceReport >= _o.VersionReportLists) Report(store, "metrics", context, e.TimestampMs);
        if (store?.CheckAutomaticRollback(_o.RollbackMargin, _o.RollbackMinLists) is long rejected)
        {
            Report(store, "automatic-rollback", context, e.TimestampMs);
            Runtime.Metrics.Increment("model-automatic-rollbacks");
            Runtime.DeadLetters.Report($"model version {rejected} rolled back automatically: online hit rate below its predecessor's by more than {_o.RollbackMargin}", rejected, context.Timestamp);
        }
    }

    /// <summary>Keeps the candidates of the list just served to the user for the blend's next example, or forgets an older list when this one had none (cold start).</summary>
    private void KeepServed(string user, ModelStore? store)
    {
        if (_served is null) return;
        if (store is not null && _candidates!.Count > 0) _served.Keep(user, store, _candidates);
        else _served.Forget(user);
    }

    /// <summary>One blend step from the list last served (its candidates' features, scored under the current weights), labelled by <paramref name="item"/>.</summary>
    private void LearnFromServed(OnlineBlendState blend, ModelStore store, ReadOnlySpan<int> items, ReadOnlySpan<float> features, string item)
    {
        var scores = _served!.ScoreBuffer(items.Length);
        _blend!.Score(blend, features, items.Length, scores);
        _blend.Learn(blend, features, scores, items.Length, items.IndexOf(store.IndexOf(item)));
    }

    private void Learn(ModelStore? store, UserScoringState st, ProfiledEvent value)
    {
        var e = value.Event;
        st.Remember(e.ItemId, e.IsPositive, _o.MaxSeenItems);
        if (!e.IsPositive) return;
        _coldStart!.Count(e.ItemId);
        if (store is not null) UserFactorFolding.Learn(store, st, e.ItemId, value.After.RecentPositives, _o);
    }

    /// <summary>
    /// The user's top-K: the candidates (<see cref="CandidateGenerator"/>) scored by the learned blend and made into a
    /// list (<see cref="ListBuilder"/>); the popular items of the subtask while it has no model version. The candidates
    /// and their scores stay in <see cref="_candidates"/> until the next list.
    /// </summary>
    /// <param name="serve">False when the list is only recomputed (not served): the calibrator keeps nothing for it.</param>
    private Recommendation Recommend(ModelStore? store, OnlineBlendState? blend, RescorerState? rescorer, UserScoringState st, UserFeatures features, UserEvent e, ListTrigger trigger,
        IKeyedBroadcastReadContext<string> context, bool serve = true)
    {
        // A list without re-scoring leaves no pool to train the re-scorers on.
        _rescoring!.Clear();
        if (!ScoreCandidates(store, blend, st, features))
        {
            var (ids, popular) = _coldStart!.For(st, _o.K, _o.ExcludeSeen);
            return new Recommendation(e.UserKey, ids, popular, 0, e.EventId, e.TimestampMs, LatencyMs(e), trigger);
        }
        var chosen = new int[_o.K];
        var diversity = _diversity is not null && context.GetBroadcastState(DiversityDescriptor).TryGetValue(StoreKey, out var ds) ? ds : null;
        int got = _lists!.Build(_candidates, store, rescorer, st, features, e, serve, chosen, diversity?.Theta);
        if (serve && diversity is not null && got >= 2 && _diversity!.Observe(diversity, _lists.Diversity(chosen.AsSpan(0, got)), e.TimestampMs) is { } decided)
            context.Output(DiversityOutput, DiversityRecord.Of(decided, _diversity.Options.Target, "adjusted", Runtime.SubtaskIndex, e.TimestampMs));

        var items = new string[got];
        var scores = new float[got];
        for (int j = 0; j < got; j++)
        {
            items[j] = store.Ids[chosen[j]];
            int slot = _candidates.SlotOf(chosen[j]);
            scores[j] = slot >= 0 ? _candidates.Scores[slot] : 0;
        }
        if (got < _o.K) (items, scores) = _coldStart!.FillUp(items, scores, st, _o.K, _o.ExcludeSeen);
        return new Recommendation(e.UserKey, items, scores, store.CurrentVersion, e.EventId, e.TimestampMs, LatencyMs(e), trigger);
    }

    /// <summary>
    /// The candidates of the user's list from <paramref name="features"/>, scored by the blend, into
    /// <see cref="_candidates"/>; false (no candidates) while the subtask has no model version.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(_candidates))]
    private bool ScoreCandidates([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] ModelStore? store, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] OnlineBlendState? blend, UserScoringState st, UserFeatures features)
    {
        _candidates!.Reset(0);
        if (store is null || store.Count == 0 || blend is null) return false;
        _indexes!.Sync(store);
        int n = _generator!.Collect(store, _indexes.Index, st, features, _candidates);
        _blend!.Score(blend, _candidates.Features, n, _candidates.Scores);
        return true;
    }

    private static double LatencyMs(UserEvent e) => (DateTime.UtcNow.Ticks - e.IngestTicks) / (double)TimeSpan.TicksPerMillisecond;
}
