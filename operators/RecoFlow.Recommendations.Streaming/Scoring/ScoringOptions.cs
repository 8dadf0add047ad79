using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// Settings of <see cref="ScoringFunction"/>. There are no blend weights to set: the blend of the candidate features is
/// learned online by each job (<see cref="Ranking.OnlineBlend"/>).
/// </summary>
/// <param name="DppTheta">Relevance/diversity knob of the DPP re-ranking (1 or null: off; 0: diversity only).</param>
/// <param name="DppCandidates">How many of the best-scored items the DPP re-ranks.</param>
/// <param name="DppRelevance">How the DPP turns blend scores into relevance (rank-based is independent of the blend's scale).</param>
/// <param name="DppKernel">The similarity of the DPP kernel (category cosine tracks the Jaccard ILD metric best).</param>
/// <param name="DppPool">Which candidates the DPP re-ranks: the blend's top <paramref name="DppCandidates"/>, or those plus the best <paramref name="DppPerGenre"/> of each category (<see cref="CandidatePool"/>).</param>
/// <param name="DppPerGenre">With <see cref="Ranking.DppPool.Genre"/>: how many of the best items of each category join the pool.</param>
/// <param name="DppShrink">Shrinks the DPP kernel's similarity toward the identity, S' = (1 − γ)·I + γ·S (<see cref="ShrunkSimilarity"/>); 1 = unchanged.</param>
/// <param name="DppObjective">What the DPP's greedy selection maximises: the DPP's log det, or the pairwise form whose diversity term is linear in the similarities like the ILD (<see cref="Ranking.DppObjective"/>).</param>
/// <param name="DppCalibration">With <see cref="DppRelevance.Calibrated"/>: the settings of the online hit-probability model (<see cref="HitCalibrator"/>).</param>
/// <param name="Diversity">The diversity loop (<see cref="DiversityController"/>): holds the ILD of the lists served at a target by moving the DPP's θ (which then starts at <see cref="DiversityControllerOptions.InitialTheta"/>); null: θ stays <paramref name="DppTheta"/>.</param>
/// <param name="FtrlRescoring">Re-score the candidate pool with the online FTRL-Proximal model (<see cref="Rescorer"/>).</param>
/// <param name="TreeRescoring">Add the online Hoeffding tree's log hit probability to the re-score.</param>
/// <param name="RescoreHashBits">Size of the FTRL model's hashed feature space (2^bits coordinates).</param>
/// <param name="SerendipityShare">Share of the K slots given to items outside the user's usual categories.</param>
/// <param name="EmitProbes">Before each positive event of a user with an earlier positive, emit the list the model gave from the state before the event ("probe"), for prequential evaluation.</param>
/// <param name="EmitAfterEvent">After each event, emit the user's new top-K ("interaction").</param>
/// <param name="RollbackMargin">Automatic rollback when a version's online hit rate is more than this below its predecessor's.</param>
/// <param name="RollbackMinLists">Lists each of the two versions must have served before they are compared.</param>
/// <param name="PopularCandidates">How many of the most popular items join every list's candidates.</param>
/// <param name="CategoryCandidates">How many of the most popular items of each of the user's two strongest categories join the candidates.</param>
/// <param name="LatestSeedNeighbours">How many of its strongest co-visitation neighbours each of the latest three seeds of a kind (basket, session, recent positives) contributes.</param>
/// <param name="OlderSeedNeighbours">How many of its strongest co-visitation neighbours each older seed contributes.</param>
/// <param name="BlendLearnRate">AdaGrad step of the learned blend.</param>
/// <param name="MaxSeenItems">How many of the user's latest distinct items scoring remembers for exclusion (older ones may be recommended again): bounds the state of heavy users.</param>
/// <param name="VersionReportLists">Report the versions' online metrics on the versions output every this many lists counted (0: only when versions change).</param>
/// <param name="EventTimeOrder">Score the events in event-time order against the model versions of their time: each event
/// waits in its user's state until the watermark of both inputs (events and model versions) reaches its time, when every
/// event of that time and every version cut at or before it has arrived; events of one time go by user key. A replay then serves the same lists in every run, at the
/// cost of the watermark's delay per list. Needs watermarks on both inputs.</param>
public sealed record ScoringOptions(
    int K = 10,
    bool ExcludeSeen = true,
    double? DppTheta = null,
    int DppCandidates = 50,
    DppRelevance DppRelevance = DppRelevance.LogRank,
    DppKernel DppKernel = DppKernel.Cosine,
    DppPool DppPool = DppPool.Top,
    int DppPerGenre = 6,
    double DppShrink = 1,
    DppObjective DppObjective = DppObjective.LogDet,
    HitCalibratorOptions? DppCalibration = null,
    DiversityControllerOptions? Diversity = null,
    double SerendipityShare = 0,
    bool FtrlRescoring = false,
    bool TreeRescoring = false,
    int RescoreHashBits = 16,
    float FoldInLearnRate = 0.1f,
    float FoldInRegularization = 0.01f,
    int FoldInNegatives = 4,
    int FoldInRecentItems = 10,
    bool EmitProbes = false,
    bool EmitAfterEvent = true,
    int VersionsKept = 10,
    double RollbackMargin = 0.05,
    long RollbackMinLists = 200,
    ulong Seed = 7,
    long VersionReportLists = 100,
    int PopularCandidates = 100,
    int CategoryCandidates = 30,
    int OlderSeedNeighbours = 15,
    float BlendLearnRate = 0.05f,
    int MaxSeenItems = 2_000,
    bool EventTimeOrder = false,
    int LatestSeedNeighbours = 50);
