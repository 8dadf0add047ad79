namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// The features of a candidate item that the learned blend (<see cref="Ranking.OnlineBlend"/>) weighs. Co-visitation
/// features sum the item's link weights to the user's seed items, each seed discounted by its recency rank; they are
/// divided by their maximum over the list's candidates, so they lie in [0, 1] whatever the scale of the model's
/// decayed weights. Several discounts of the same signal are separate features: the blend learns which horizon
/// predicts on the job's own log instead of one being tuned by hand.
/// </summary>
public static class CandidateFeatures
{
    /// <summary>Σ_j 0.85^j·w(seed_j, i) over the user's recent positives (most recent first).</summary>
    public const int CoRecent = 0;
    /// <summary>CoRecent·1.05/(CoRecent + 0.05): the same signal, its small values spread out (saturating, 1 at 1).</summary>
    public const int CoRecentLog = 1;
    /// <summary>Σ_j 0.5^j·w(seed_j, i): a short memory of the recent positives.</summary>
    public const int CoSharp = 2;
    /// <summary>Σ_j 0.97^j·w(seed_j, i): a long memory of the recent positives.</summary>
    public const int CoFlat = 3;
    /// <summary>The raw CoRecent sum divided by √popularity(i) (lift: links not explained by popularity alone).</summary>
    public const int CoLift = 4;
    /// <summary>Σ_j 0.85^j·w(seed_j, i) over the items of the user's current session (most recent first).</summary>
    public const int CoSession = 5;
    /// <summary>Σ_j w(seed_j, i) over the items of the user's latest basket (same timestamp).</summary>
    public const int CoBasket = 6;
    /// <summary>Popularity relative to the most popular item, in [0, 1].</summary>
    public const int Popularity = 7;
    /// <summary>1 + log₂(popularity / most popular)/20, floored at 0.</summary>
    public const int LogPopularity = 8;
    /// <summary>Mean affinity of the user to the item's categories, relative to the user's strongest category.</summary>
    public const int Category = 9;
    /// <summary>Dot product of the user's and the item's factors (clamped to [−4, 4]).</summary>
    public const int Factors = 10;

    /// <summary>The largest share of the current session's items (at most ten) in one of the item's categories: what the user browses right now.</summary>
    public const int SessionCategory = 11;

    /// <summary>
    /// The item's recent popularity (<c>ItemModelOptions.RecentPopularityHalfLifeDays</c>, two weeks) relative to the
    /// most recently popular candidate of the list: beside <see cref="Popularity"/>'s longer memory, so that the blend
    /// learns which memory predicts on the job's log instead of one half-life being chosen by hand.
    /// </summary>
    public const int RecentPopularity = 12;

    public const int Count = 13;

    public static IReadOnlyList<string> Names { get; } =
        ["co_recent", "co_recent_log", "co_sharp", "co_flat", "co_lift", "co_session", "co_basket", "popularity", "log_popularity", "category", "factors", "session_category", "recent_popularity"];

    /// <summary>
    /// The weights before the first label: the user's own signals first (co-visitation with the recent positives,
    /// session and basket; the categories the user favours and browses now), popularity as the tie-breaker and
    /// fill-up, the rest at zero until the job's own labels say otherwise.
    /// </summary>
    /// <remarks>Co-visitation enters mostly through its lift form (links not explained by popularity): raw counts
    /// favour the popular items every user meets, which would drown a new shopper's own clicks until the job has
    /// labels of its own.</remarks>
    public static float[] Priors() => [0.5f, 0.5f, 0.5f, 0f, 1f, 0.5f, 0.5f, 0.2f, 0.5f, 0.5f, 0f, 1f, 0f];
}
