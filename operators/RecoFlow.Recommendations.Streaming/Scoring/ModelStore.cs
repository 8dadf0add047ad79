using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The item model as a scoring task serves it, in dense arrays indexed by item position (assigned on first sight).
/// Versions arrive as deltas and are queued; <see cref="AdvanceTo"/> applies those whose cut is at or before the
/// time of the record being scored, so a record is never scored with a model that learned from it or from later
/// records (the prequential guarantee), whatever the arrival order of the two inputs. The last
/// <see cref="VersionsKept"/> applied versions keep an undo log, which makes <see cref="Rollback"/> exact.
/// Popularity and co-visitation weights are kept linear relative to a reference exponent, rebased when it drifts.
/// <para>Lives in broadcast state (one per scoring subtask); MessagePack, the store contractless, its versions as
/// keyed arrays (<see cref="KeyedOrNamedFormatter{T}"/>).</para>
/// </summary>
public sealed class ModelStore
{
    public int Factors { get; set; }
    public int VersionsKept { get; set; } = 10;
    public Dictionary<string, int> Index { get; set; } = new(StringComparer.Ordinal);
    public List<string> Ids { get; set; } = [];
    public List<float[]?> ItemFactors { get; set; } = [];
    public List<double> Popularity { get; set; } = [];
    public double PopularityReference { get; set; } = double.NaN;
    /// <summary>Recent popularity (<see cref="ItemEntry.LogRecentPopularity"/>), linear relative to its own reference; 0 where unknown.</summary>
    public List<double> RecentPopularity { get; set; } = [];
    public double RecentPopularityReference { get; set; } = double.NaN;
    /// <summary>Per item, its co-visitation neighbours (store indices), strongest first.</summary>
    public List<int[]> NeighbourIndex { get; set; } = [];
    public List<double[]> NeighbourWeights { get; set; } = [];
    public double NeighbourReference { get; set; } = double.NaN;
    public List<ModelDelta> Pending { get; set; } = [];
    public List<StoreVersion> History { get; set; } = [];
    public long CurrentVersion { get; set; }
    public long CurrentCutMs { get; set; } = long.MinValue;
    public bool Pinned { get; set; }

    public int Count => Ids.Count;

    public int IndexOf(string item) => Index.TryGetValue(item, out int i) ? i : -1;

    /// <summary>
    /// Queues a published version, in cut order; within a cut the online deltas come before the refits (as each
    /// subtask publishes them), so that the deltas of one cut and kind are adjacent whatever the subtasks' interleaving;
    /// those in subtask order, so that the items they bring get the same store indices whatever order they arrived in.
    /// </summary>
    public void Enqueue(ModelDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        int at = Pending.Count;
        while (at > 0 && After(Pending[at - 1], delta)) at--;
        Pending.Insert(at, delta);
    }

    private static bool After(ModelDelta a, ModelDelta b) =>
        a.CutMs > b.CutMs || (a.CutMs == b.CutMs && (a.Kind == b.Kind ? a.Subtask > b.Subtask : a.Kind == ModelDelta.RefitKind));

    /// <summary>
    /// Applies every queued version with a cut at or before <paramref name="timestampMs"/> (unless pinned by a rollback).
    /// Returns how many versions were added; the store indices written go to <paramref name="touched"/> when given.
    /// </summary>
    /// <remarks>
    /// With a parallel item model every subtask publishes its own delta for the same cut: deltas with the same cut and
    /// kind form one version, numbered by the store in cut order (1, 2, …), so every scoring subtask numbers the
    /// versions alike. A delta arriving after its cut was applied is applied at once, into the version of its cut and
    /// kind if it is still kept (also when a refit of that cut came in between), else into the newest.
    /// </remarks>
    public int AdvanceTo(long timestampMs, List<int>? touched = null)
    {
        if (Pinned) return 0;
        int applied = 0;
        while (Pending.Count > 0 && Pending[0].CutMs <= timestampMs)
        {
            var d = Pending[0];
            Pending.RemoveAt(0);
            var last = History.Count > 0 ? History[^1] : null;
            var into = last is { Applied: true } && d.CutMs <= last.CutMs
                ? Newest(d.CutMs, d.Kind, appliedOnly: true) ?? (d.CutMs < last.CutMs ? last : null)
                : null;
            if (into is null)
            {
                into = new StoreVersion { Version = ++LastVersion, CutMs = d.CutMs, Kind = d.Kind, ActivatedMs = timestampMs };
                History.Add(into);
                applied++;
            }
            Apply(into, d.Items, touched);
        }
        Trim();
        return applied;
    }

    /// <summary>The number of the newest version the store created.</summary>
    public long LastVersion { get; set; }

    /// <summary>
    /// Undoes every applied version after <paramref name="version"/>, newest first, and holds the model there: later
    /// versions queue until <see cref="Resume"/>. Returns false when the version is not among those kept.
    /// </summary>
    public bool Rollback(long version)
    {
        if (version != 0 && !History.Any(h => h.Version == version && h.Applied)) return false;
        for (int j = History.Count - 1; j >= 0 && History[j].Version > version; j--)
            if (History[j].Applied) Undo(History[j]);
        Pinned = true;
        SetCurrent();
        return true;
    }

    /// <summary>Re-applies rolled-back versions (not those rejected automatically) and releases the hold.</summary>
    public void Resume()
    {
        Rewinds++;
        foreach (var h in History)
            if (!h.Applied && !h.Rejected) Apply(h);
        Pinned = false;
        SetCurrent();
    }

    /// <summary>
    /// Automatic rollback: when the newest applied version has served at least <paramref name="minLists"/> lists,
    /// as has its predecessor, and its hit rate is more than <paramref name="margin"/> below the predecessor's, it is
    /// undone and marked rejected (later versions still apply on top). Returns the rejected version, or null.
    /// </summary>
    public long? CheckAutomaticRollback(double margin, long minLists)
    {
        // Per record: find the newest two applied versions without allocating.
        StoreVersion? last = null, prev = null;
        for (int j = History.Count - 1; j >= 0 && prev is null; j--)
        {
            if (!History[j].Applied) continue;
            if (last is null) last = History[j];
            else prev = History[j];
        }
        if (last is null || prev is null) return null;
        if (last.Lists < minLists || prev.Lists < minLists) return null;
        double hrLast = (double)last.Hits / last.Lists, hrPrev = (double)prev.Hits / prev.Lists;
        if (hrLast >= hrPrev - margin) return null;
        Undo(last);
        last.Rejected = true;
        SetCurrent();
        return last.Version;
    }

    /// <summary>Counts a list served with <paramref name="version"/> and whether the user's next positive event hit it.</summary>
    public void RecordServed(long version, bool hit)
    {
        for (int j = History.Count - 1; j >= 0; j--)
        {
            if (History[j].Version != version) continue;
            History[j].Lists++;
            if (hit) History[j].Hits++;
            ServedSinceReport++;
            return;
        }
    }

    /// <summary>Lists counted by <see cref="RecordServed"/> since the versions were last reported (the scoring task resets it).</summary>
    public long ServedSinceReport { get; set; }

    /// <summary>The kept versions, oldest first, then the queued ones (numbered as <see cref="PendingNumbers"/>).</summary>
    public IReadOnlyList<ModelVersionInfo> Versions()
    {
        var numbers = PendingNumbers();
        return History.Select(Kept).Concat(Pending.Select((d, j) => Queued(d, numbers[j]))).ToList();
    }

    /// <summary>
    /// The kept versions numbered <paramref name="since"/> or later, oldest first (what <see cref="Versions()"/> lists
    /// of them, without the queued ones): what changed when a record applied versions after <paramref name="since"/>.
    /// Runs whenever a record applies a version, so it builds only the versions it returns.
    /// </summary>
    public IEnumerable<ModelVersionInfo> VersionsSince(long since)
    {
        foreach (var h in History)
            if (h.Version >= since) yield return Kept(h);
    }

    private ModelVersionInfo Kept(StoreVersion h) => new(h.Version, h.CutMs, h.Redo.Length, h.Lists, h.Hits, !h.Applied && !h.Rejected)
    {
        Kind = h.Kind,
        Rejected = h.Rejected,
        Current = h.Applied && h.Version == CurrentVersion,
        ActivatedMs = h.ActivatedMs,
    };

    /// <summary>The queued delta <paramref name="delta"/> as a version (numbered as <see cref="PendingNumbers"/>).</summary>
    public ModelVersionInfo QueuedVersion(ModelDelta delta)
    {
        int j = Pending.IndexOf(delta);
        return Queued(delta, j >= 0 ? PendingNumbers()[j] : LastVersion + 1);
    }

    private static ModelVersionInfo Queued(ModelDelta d, long number) =>
        new(number, d.CutMs, d.Items.Length, 0, 0, false) { Kind = d.Kind, Queued = true };

    /// <summary>
    /// The number each queued delta would get from <see cref="AdvanceTo"/> if it were applied now (the store's
    /// numbering, not the publishing subtask's): a version kept (and not rejected) with its cut and kind, the newest
    /// version for a delta older than it, else the next number, shared by the queued deltas of one cut and kind.
    /// </summary>
    private long[] PendingNumbers()
    {
        var numbers = new long[Pending.Count];
        var last = History.Count > 0 && !History[^1].Rejected ? History[^1] : null;
        (long Cut, string Kind, long Number)? newest = last is null ? null : (last.CutMs, last.Kind, last.Version);
        long next = LastVersion;
        for (int j = 0; j < Pending.Count; j++)
        {
            var d = Pending[j];
            long n = 0;
            if (newest is { } x && d.CutMs <= x.Cut)
            {
                if (d.CutMs == x.Cut && d.Kind == x.Kind) n = x.Number;
                else n = Newest(d.CutMs, d.Kind, appliedOnly: false)?.Version ?? (d.CutMs < x.Cut ? x.Number : 0);
            }
            if (n == 0)
            {
                n = ++next;
                newest = (d.CutMs, d.Kind, n);
            }
            numbers[j] = n;
        }
        return numbers;
    }

    /// <summary>
    /// The newest kept version of cut <paramref name="cutMs"/> and kind <paramref name="kind"/>: applied ones only, or
    /// any not rejected. A loop, not a lambda: it runs for every delta that arrives or is applied.
    /// </summary>
    private StoreVersion? Newest(long cutMs, string kind, bool appliedOnly)
    {
        for (int j = History.Count - 1; j >= 0; j--)
        {
            var h = History[j];
            if ((appliedOnly ? h.Applied : !h.Rejected) && h.CutMs == cutMs && h.Kind == kind) return h;
        }
        return null;
    }

    /// <summary>Popularity of item i relative to the most popular (0 when none).</summary>
    public double PopularityOf(int i) => i >= 0 && i < Popularity.Count ? Popularity[i] : 0;

    private void Apply(StoreVersion v) => Apply(v, v.Redo, null, replace: true);

    /// <summary>Writes <paramref name="redo"/> into the store as (part of) version <paramref name="v"/>, logging the undo.</summary>
    private void Apply(StoreVersion v, ItemEntry[] redo, List<int>? touched, bool replace = false)
    {
        var undo = new UndoEntry[redo.Length];
        for (int j = 0; j < redo.Length; j++)
        {
            undo[j] = Capture(redo[j]);
            Write(redo[j], undo[j]);
            touched?.Add(undo[j].Index);
        }
        if (replace || v.Redo.Length == 0)
        {
            v.Redo = redo;
            v.Undo = undo;
        }
        else
        {
            v.Redo = [.. v.Redo, .. redo];
            v.Undo = [.. v.Undo, .. undo];
        }
        v.Applied = true;
        SetCurrent();
    }

    /// <summary>
    /// How often the store was changed other than by applying a new version in cut order (an undone version, a
    /// resume): what is derived from the store incrementally (<see cref="CandidateIndex"/>) must then be rebuilt.
    /// </summary>
    public long Rewinds { get; set; }

    private void Undo(StoreVersion v)
    {
        Rewinds++;
        for (int j = v.Undo.Length - 1; j >= 0; j--)
        {
            var u = v.Undo[j];
            if (u.FactorsTouched) ItemFactors[u.Index] = u.Factors;
            if (u.Popularity is double p) Popularity[u.Index] = p;
            if (u.RecentPopularity is double rp) RecentPopularity[u.Index] = rp;
            if (u.NeighbourIndex is not null)
            {
                NeighbourIndex[u.Index] = u.NeighbourIndex;
                NeighbourWeights[u.Index] = u.NeighbourWeights!;
            }
            if (u.NeighbourSteps is not null) NeighbourSteps.Undo(this, u);
        }
        v.Applied = false;
    }

    private void SetCurrent()
    {
        StoreVersion? last = null;
        for (int j = History.Count - 1; j >= 0 && last is null; j--)
            if (History[j].Applied) last = History[j];
        CurrentVersion = last?.Version ?? 0;
        CurrentCutMs = last?.CutMs ?? long.MinValue;
    }

    private void Trim()
    {
        while (History.Count > VersionsKept && History[0].Applied) History.RemoveAt(0);
    }

    private int Ensure(string item)
    {
        // A store restored from before the recent popularity existed catches up (its items' recent popularity unknown: 0).
        while (RecentPopularity.Count < Ids.Count) RecentPopularity.Add(0);
        if (Index.TryGetValue(item, out int i)) return i;
        i = Ids.Count;
        Index[item] = i;
        Ids.Add(item);
        ItemFactors.Add(null);
        Popularity.Add(0);
        RecentPopularity.Add(0);
        NeighbourIndex.Add([]);
        NeighbourWeights.Add([]);
        return i;
    }

    /// <summary>The current values of the parts <paramref name="redo"/> will overwrite (an item never seen is created empty first).</summary>
    private UndoEntry Capture(ItemEntry redo)
    {
        int i = Ensure(redo.ItemId);
        return new UndoEntry
        {
            Index = i,
            FactorsTouched = redo.Factors is not null,
            Factors = redo.Factors is not null ? ItemFactors[i] : null,
            Popularity = redo.LogPopularity is not null ? Popularity[i] : null,
            RecentPopularity = redo.LogRecentPopularity is not null ? RecentPopularity[i] : null,
            NeighbourIndex = redo.Neighbours is not null ? NeighbourIndex[i] : null,
            NeighbourWeights = redo.Neighbours is not null ? NeighbourWeights[i] : null,
        };
    }

    /// <summary>Writes <paramref name="e"/> into the store, noting in <paramref name="undo"/> what a neighbour change did.</summary>
    private void Write(ItemEntry e, UndoEntry undo)
    {
        Write(e);
        if (e.Neighbours is null && (e.NeighbourUpdates is not null || e.NeighbourRemovals is not null)) NeighbourSteps.Apply(this, undo.Index, e, undo);
    }

    /// <summary>The linear weight of a published log₂ neighbour weight (rebasing the reference when it drifts).</summary>
    internal double NeighbourWeight(double logWeight)
    {
        double reference = NeighbourReference;
        if (LinearColumn.Rebase(logWeight, ref reference, out double f))
            foreach (var ws in NeighbourWeights)
                for (int j = 0; j < ws.Length; j++) ws[j] *= f;
        NeighbourReference = reference;
        return Math.Pow(2, logWeight - reference);
    }

    /// <summary>The store index of <paramref name="item"/>, created empty when new.</summary>
    internal int IndexOrAdd(string item) => Ensure(item);

    private void Write(ItemEntry e)
    {
        int i = Ensure(e.ItemId);
        if (e.Factors is not null)
        {
            if (Factors == 0 && e.Factors.Length > 0) Factors = e.Factors.Length;
            ItemFactors[i] = e.Factors.Length == 0 ? null : (float[])e.Factors.Clone();
        }
        if (e.LogPopularity is double lp) PopularityReference = LinearColumn.Set(Popularity, i, lp, PopularityReference);
        if (e.LogRecentPopularity is double rlp) RecentPopularityReference = LinearColumn.Set(RecentPopularity, i, rlp, RecentPopularityReference);
        if (e.Neighbours is not null)
        {
            var ids = new int[e.Neighbours.Length];
            var ws = new double[e.Neighbours.Length];
            for (int j = 0; j < ids.Length; j++)
            {
                ids[j] = Ensure(e.Neighbours[j]);
                ws[j] = NeighbourWeight(e.NeighbourLogWeights![j]);
            }
            // Strongest first: candidate generation reads only the head of an older seed's list.
            Array.Sort(ws, ids, DescendingWeight);
            NeighbourIndex[i] = ids;
            NeighbourWeights[i] = ws;
        }
    }

    private static readonly IComparer<double> DescendingWeight = Comparer<double>.Create((a, b) => b.CompareTo(a));
}
