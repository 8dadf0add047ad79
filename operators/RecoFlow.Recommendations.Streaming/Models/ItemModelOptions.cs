namespace RecoFlow.Recommendations.Streaming.Models;

/// <summary>
/// Settings of <see cref="ItemModelOperator"/>. Replay is off by default: with the learned blend, ten replayed ISGD
/// steps per event cost a third of the job's CPU and moved MovieLens recall@10 by less than its run-to-run noise
/// (0.1252 with, 0.1247 without; docs/benchmarks.md).
/// </summary>
/// <param name="PopularityHalfLifeDays">Half-life of an item's popularity.</param>
/// <param name="RecentPopularityHalfLifeDays">Half-life of the item's recent popularity, a second measure beside
/// <paramref name="PopularityHalfLifeDays"/>: both are features of the learned blend, which weighs the short and the
/// long memory by what predicts on the job's own log.</param>
/// <param name="PublishInterval">Event time between model versions; a version is cut at a multiple of it.</param>
/// <param name="RetrainInterval">Event time between refits of the item factors over the sliding window (null or zero: off); a refit is cut at a multiple of it, so it should be a multiple of the publish interval.</param>
/// <param name="RetrainWindow">Event time of positive interactions the refit learns from.</param>
/// <param name="RetrainMaxInteractions">Cap on the interactions kept for the refit (the oldest are dropped first).</param>
/// <param name="RetrainEpochs">ISGD passes over the window per refit, oldest interaction first.</param>
/// <param name="UserTimeToLive">The training copy of a user's factors is removed after this much event time without a positive event of theirs (zero: never).</param>
/// <param name="EventTimeOrder">Learn the input in event-time order rather than in arrival order: records wait (in the
/// subtask's state) until the watermark passes them and are then learned by time, then user; a version is cut at the
/// first publish boundary after its records. A replay then trains the same model in every run, whatever the
/// interleaving of the upstream tasks, at the cost of the watermark's delay. Needs watermarks on the input.</param>
public sealed record ItemModelOptions(
    int Factors = 16,
    float LearnRate = 0.1f,
    float Regularization = 0.01f,
    float InitStdDev = 0.1f,
    int NegativeSamples = 4,
    int ReplaySteps = 0,
    int ReplayBuffer = 20_000,
    double PopularityHalfLifeDays = 180,
    double RecentPopularityHalfLifeDays = 14,
    double NonPositivePopularityWeight = 0.5,
    double CoVisitationHalfLifeDays = 365,
    int MaxNeighbours = 100,
    TimeSpan? PublishInterval = null,
    ulong Seed = 42,
    TimeSpan? RetrainInterval = null,
    TimeSpan? RetrainWindow = null,
    int RetrainMaxInteractions = 200_000,
    int RetrainEpochs = 3,
    TimeSpan? UserTimeToLive = null,
    bool EventTimeOrder = false)
{
    public TimeSpan EffectiveUserTimeToLive => UserTimeToLive ?? TimeSpan.FromDays(365);
    public bool RetrainEnabled => RetrainInterval is { } r && r > TimeSpan.Zero;
    public TimeSpan EffectiveRetrainWindow => RetrainWindow ?? TimeSpan.FromHours(24);
    public TimeSpan EffectivePublishInterval => PublishInterval ?? TimeSpan.FromMinutes(1);
}
