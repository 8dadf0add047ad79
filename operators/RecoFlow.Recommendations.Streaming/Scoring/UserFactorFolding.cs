using RecoFlow.Recommendations.Common;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The user half of ISGD in scoring: a positive event folds the user's factors toward the served factors of the event's
/// item and of the user's recent positives, and away from a few sampled items (negatives), with the user's own random
/// stream (<see cref="UserScoringState.RngState"/>), so the same events give the same factors in every run.
/// </summary>
internal static class UserFactorFolding
{
    /// <summary>Folds in a positive event on <paramref name="itemId"/>; nothing while the store has no factors for it.</summary>
    public static void Learn(ModelStore store, UserScoringState st, string itemId, string[] recentPositives, ScoringOptions o)
    {
        if (store.Factors == 0) return;
        int item = store.IndexOf(itemId);
        if (item < 0 || store.ItemFactors[item] is null) return;

        var rng = new SplitMix64(st.RngState);
        if (st.Factors is null || st.Factors.Length != store.Factors)
        {
            st.Factors = new float[store.Factors];
            for (int f = 0; f < st.Factors.Length; f++) st.Factors[f] = (float)(rng.NextGaussian() * 0.1);
        }
        FoldIn(st.Factors, store.ItemFactors[item]!, 1f, o);
        Negatives(store, st.Factors, rng, item, o);
        for (int j = 1; j < Math.Min(o.FoldInRecentItems, recentPositives.Length); j++)
        {
            int r = store.IndexOf(recentPositives[j]);
            if (r >= 0 && store.ItemFactors[r] is { } q) FoldIn(st.Factors, q, 1f, o);
        }
        st.RngState = rng.State;
    }

    private static void Negatives(ModelStore store, float[] p, SplitMix64 rng, int positive, ScoringOptions o)
    {
        for (int j = 0; j < o.FoldInNegatives && store.Count > 1; j++)
        {
            int neg = rng.NextInt(store.Count);
            if (neg != positive && store.ItemFactors[neg] is { } q) FoldIn(p, q, 0f, o);
        }
    }

    /// <summary>One step: p ← p + η(err·q − λp), err = target − p·q.</summary>
    private static void FoldIn(float[] p, float[] q, float target, ScoringOptions o)
    {
        float dot = 0;
        for (int f = 0; f < p.Length; f++) dot += p[f] * q[f];
        float err = target - dot;
        for (int f = 0; f < p.Length; f++) p[f] += o.FoldInLearnRate * (err * q[f] - o.FoldInRegularization * p[f]);
    }
}
