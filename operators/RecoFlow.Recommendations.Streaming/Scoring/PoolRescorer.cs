using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The re-scoring step of a list: re-orders the candidate pool by the online re-scorers' value (<see cref="Rescorer"/>)
/// and keeps the pool, with the features of each candidate, so that the re-scorers can be trained on it once the
/// user's next event is known (<see cref="Learn"/>).
/// <para>Owns the pool buffer and the <see cref="Rescorer"/>'s own buffers: one instance per scoring subtask (created
/// in <see cref="ScoringFunction.Open"/>), never shared.</para>
/// </summary>
public sealed class PoolRescorer(Rescorer rescorer, IReadOnlyList<int[]> categories)
{
    private Candidate[] _pool = [];
    private int _poolCount;

    /// <summary>True when a re-scorer is configured (FTRL, the tree or both).</summary>
    public bool Enabled => rescorer.Enabled;

    /// <summary>Forgets the pool of the previous list (a list computed without re-scoring trains nothing).</summary>
    public void Clear() => _poolCount = 0;

    /// <summary>
    /// Re-orders <paramref name="ranked"/> (store indices, in the blend's order) by the re-scored value, best first
    /// (ties by the blend's rank), writes that value into <paramref name="relevance"/> and keeps the pool in the new
    /// order for <see cref="Learn"/>.
    /// </summary>
    public void Rescore(RescorerState state, Candidates candidates, ModelStore store, Span<int> ranked, Span<float> relevance, UserEvent e)
    {
        int m = ranked.Length;
        if (_pool.Length < m) _pool = new Candidate[Math.Max(m, 64)];
        for (int j = 0; j < m; j++) _pool[j] = Parts(candidates, ranked[j], j);
        var re = new double[m];
        rescorer.Score(state, _pool.AsSpan(0, m), e.UserKey, e.Context, store.Ids, categories, re);
        var order = new int[m];
        for (int j = 0; j < m; j++) order[j] = j;
        Array.Sort(order, (a, b) => re[b] != re[a] ? re[b].CompareTo(re[a]) : a.CompareTo(b));
        var reordered = new Candidate[m];
        for (int j = 0; j < m; j++)
        {
            reordered[j] = _pool[order[j]];
            ranked[j] = reordered[j].Index;
            relevance[j] = (float)re[order[j]];
        }
        reordered.CopyTo(_pool, 0);
        _poolCount = m;
    }

    /// <summary>The re-scorers' view of a candidate: its factor, co-visitation, popularity and category features.</summary>
    private static Candidate Parts(Candidates candidates, int item, int baseRank)
    {
        int slot = candidates.SlotOf(item);
        if (slot < 0) return new Candidate(item, baseRank, 0, 0, 0, 0);
        var row = candidates.Row(slot);
        return new Candidate(item, baseRank, row[CandidateFeatures.Factors], row[CandidateFeatures.CoRecent], row[CandidateFeatures.Popularity], row[CandidateFeatures.Category]);
    }

    /// <summary>
    /// Trains the re-scorers on the pool of the list last computed: the event's item is a positive when it was in the
    /// pool; the <paramref name="served"/> items other than it are negatives.
    /// </summary>
    public void Learn(RescorerState state, ModelStore store, string[] served, UserEvent e)
    {
        int target = store.IndexOf(e.ItemId);
        for (int j = 0; j < _poolCount; j++)
        {
            bool hit = _pool[j].Index == target;
            if (hit || Array.IndexOf(served, store.Ids[_pool[j].Index]) >= 0) rescorer.Learn(state, _pool[j], hit, e.UserKey, e.Context, store.Ids, categories);
        }
    }
}
