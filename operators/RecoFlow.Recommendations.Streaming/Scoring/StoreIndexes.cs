using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// What a scoring subtask derives from its <see cref="ModelStore"/> and keeps in step with it: each item's categories
/// by store index (indices only grow) and the <see cref="CandidateIndex"/>, updated with the items the applied versions
/// wrote (<see cref="Touched"/>, which <see cref="ModelStore.AdvanceTo"/> fills), rebuilt for another (restored) store
/// or after the store was rewound (<see cref="ModelStore.Rewinds"/>). Transient: one per subtask, never checkpointed.
/// </summary>
public sealed class StoreIndexes(ItemCatalog catalog, CandidateIndex index)
{
    private ModelStore? _indexed;
    private long _indexedRewinds;

    /// <summary>The categories of every item of the store, by store index; shared with the ranking stages.</summary>
    public List<int[]> Categories { get; } = [];

    public CandidateIndex Index { get; } = index;

    /// <summary>The store indices the versions applied since the last <see cref="Sync"/> wrote.</summary>
    public List<int> Touched { get; } = [];

    /// <summary>Brings the categories and the candidate index up to <paramref name="store"/> as it is now.</summary>
    public void Sync(ModelStore store)
    {
        SyncCategories(store);
        if (!ReferenceEquals(_indexed, store) || _indexedRewinds != store.Rewinds)
        {
            Index.Rebuild(store, Categories);
            _indexed = store;
            _indexedRewinds = store.Rewinds;
        }
        else if (Touched.Count > store.Count) Index.Rebuild(store, Categories);
        else Index.Touch(store, Categories, Touched);
        Touched.Clear();
    }

    /// <summary>Brings only the categories up to <paramref name="store"/> (all the calibrator reads).</summary>
    public void SyncCategories(ModelStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        while (Categories.Count < store.Count) Categories.Add(catalog.CategoryIds(store.Ids[Categories.Count]));
    }
}
