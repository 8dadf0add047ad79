using RecoFlow.Api;
using RecoFlow.Recommendations.Ranking;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Recommendations.Streaming.Users;

namespace RecoFlow.Jobs.Recommendations;

/// <summary>The tunable parts of the recommendation dataflow, built from job parameters.</summary>
public sealed record RecommendationSettings(UserFeatureOptions Users, ItemModelOptions ItemModel, ScoringOptions Scoring, byte[] PseudonymKey)
{
    /// <summary>False when the input's user ids are already pseudonyms (events captured by a node's /collect).</summary>
    public bool PseudonymizeUsers { get; init; } = true;

    /// <summary>The erasure log (<see cref="RecoFlow.Recommendations.Privacy.ErasureLog"/>) applied whenever the keyed operators open; null: none.</summary>
    public string? ErasureLog { get; init; }

    /// <summary>The IP location database the job's privacy step opens; null: none.</summary>
    public string? GeoDatabase { get; init; }

    /// <summary>The key the job's state uses for a user id of the input.</summary>
    public string UserKey(string inputUserId) =>
        PseudonymizeUsers ? new RecoFlow.Recommendations.Privacy.Pseudonymizer(PseudonymKey).Pseudonymize(inputUserId) : inputUserId;

    /// <summary>The erasure log's users mapped to the job's keys; null without a log.</summary>
    public Func<IReadOnlyDictionary<string, long>>? ErasedUsers()
    {
        if (ErasureLog is not { } path) return null;
        return () =>
        {
            var log = new RecoFlow.Recommendations.Privacy.ErasureLog(path).Read();
            var result = new Dictionary<string, long>(log.Count, StringComparer.Ordinal);
            foreach (var (user, at) in log) result[UserKey(user)] = at;
            return result;
        };
    }

    /// <summary>The key used when no <c>pseudonym-key</c> parameter is given (fine for replays, not for production).</summary>
    public static byte[] DefaultKey { get; } = "recoflow-development-pseudonym-key"u8.ToArray();

    public static RecommendationSettings Default { get; } = new(new UserFeatureOptions(), new ItemModelOptions(), new ScoringOptions(), DefaultKey);

    public static IReadOnlyList<JobParameter> Parameters { get; } =
    [
        new("k", "list length", "10"),
        new("dpp-theta", "DPP relevance/diversity knob in [0,1]; 1 = off", "1"),
        new("dpp-candidates", "candidates the DPP re-ranks", "50"),
        new("dpp-relevance", "relevance the DPP uses: logrank, rank, minmax or score (of the blend score), calibrated (online hit probability) or softmax (the blend's probability over the candidates)", "logrank"),
        new("dpp-kernel", "similarity of the DPP kernel: cosine or jaccard (of the item categories)", "cosine"),
        new("dpp-shrink", "shrink of the DPP kernel's similarity toward the identity, S' = (1 - g)I + gS, g in (0,1]; 1 = unchanged", "1"),
        new("dpp-objective", "what the DPP's greedy selection maximises: logdet (the DPP's log det) or pairwise (relevance minus the summed pairwise similarity of the list, linear like the intra-list diversity)", "logdet"),
        new("dpp-pool", "candidates the DPP re-ranks: top (the best dpp-candidates) or genre (those plus the best dpp-per-genre of each category)", "top"),
        new("dpp-per-genre", "with dpp-pool genre: items of each category added to the pool", "6"),
        new("ild-target", "hold the intra-list diversity of the lists served at this value (0 to 1) by moving the DPP's theta (the diversity loop; dpp-theta is where it starts) (optional)"),
        new("ild-window", "with ild-target: lists in the diversity loop's audit window (each subtask decides once per window)", "400"),
        new("rescore", "online re-scoring of the candidates: none, ftrl, tree or ftrl+tree", "none"),
        new("serendipity", "share of slots for items outside the user's usual categories", "0"),
        new("publish-interval", "event time between item-model versions", "1m"),
        new("retrain-interval", "event time between refits of the item factors over the retraining window (0 = off, the default: the learned blend weighs the factors little and a refit per hour of a sparse replay cost a quarter of the job's CPU)", "0"),
        new("retrain-window", "event time of positive interactions the refit learns from", "24h"),
        new("retrain-max-interactions", "cap on the interactions kept for the refit (oldest dropped)", "200000"),
        new("retrain-epochs", "ISGD passes over the window per refit", "3"),
        new("versions-kept", "model versions kept for rollback", "10"),
        new("versions-report-lists", "report the versions' online metrics every this many lists counted (0 = only when versions change)", "100"),
        new("rollback-margin", "automatic rollback when a version's online hit rate is this much below its predecessor's", "0.05"),
        new("rollback-min-lists", "lists each version must serve before the rollback rule compares them", "200"),
        new("history-window", "sliding window of the user's recent history", "24h"),
        new("session-gap", "gap that closes a user session", "30m"),
        new("popularity-half-life", "event time in which an item's popularity halves", "180d"),
        new("recent-popularity-half-life", "the same for the item's recent popularity, a second feature beside it (the blend learns which predicts)", "14d"),
        new("covisitation-half-life", "event time in which a co-visitation link's weight halves", "365d"),
        new("affinity-half-life", "event time in which a user's category affinities halve", "30d"),
        new("user-ttl", "event time without an event after which a user is forgotten: their features and scoring state are removed (0 = never)", "365d"),
        new("order", "arrival (score each event as it comes) or event-time (item model and scoring take their input in event-time order behind the watermark, so that a replay at parallelism above 1 serves the same lists in every run; file source with format=movielens)", "arrival"),
        new("pseudonym-key", "secret for the keyed hash of user ids (at least 16 characters)"),
        new("pseudonymize", "pseudonymise user ids (false when they were pseudonymised at capture)", "true"),
        new("geo-database", "IP location database (MaxMind format, .mmdb) for events that carry an IP and location consent (optional; build.ps1 geo installs one under artifacts/geo)"),
        new("erasure-log", "erasure log (JSON Lines of user_key, erased_at) applied at start and on every restore (optional)"),
    ];

    public static RecommendationSettings From(JobParameters p)
    {
        double theta = p.GetDouble("dpp-theta");
        if (theta is < 0 or > 1) throw new JobParameterException("parameter 'dpp-theta' must be in [0, 1]");
        double share = p.GetDouble("serendipity");
        if (share is < 0 or > 1) throw new JobParameterException("parameter 'serendipity' must be in [0, 1]");
        if (!Enum.TryParse<DppRelevance>(p.GetString("dpp-relevance"), ignoreCase: true, out var relevance) || !Enum.IsDefined(relevance))
            throw new JobParameterException("parameter 'dpp-relevance' must be logrank, rank, minmax, score, calibrated or softmax");
        double shrink = p.GetDouble("dpp-shrink");
        if (!(shrink is > 0 and <= 1)) throw new JobParameterException("parameter 'dpp-shrink' must be in (0, 1]");
        if (!Enum.TryParse<DppPool>(p.GetString("dpp-pool"), ignoreCase: true, out var dppPool) || !Enum.IsDefined(dppPool))
            throw new JobParameterException("parameter 'dpp-pool' must be top or genre");
        int perGenre = p.GetInt("dpp-per-genre");
        if (perGenre < 0) throw new JobParameterException("parameter 'dpp-per-genre' must not be negative");
        if (!Enum.TryParse<DppKernel>(p.GetString("dpp-kernel"), ignoreCase: true, out var kernel) || !Enum.IsDefined(kernel))
            throw new JobParameterException("parameter 'dpp-kernel' must be cosine or jaccard");
        if (!Enum.TryParse<DppObjective>(p.GetString("dpp-objective"), ignoreCase: true, out var objective) || !Enum.IsDefined(objective))
            throw new JobParameterException("parameter 'dpp-objective' must be logdet or pairwise");
        var rescore = p.GetString("rescore");
        if (rescore is not ("none" or "ftrl" or "tree" or "ftrl+tree")) throw new JobParameterException("parameter 'rescore' must be none, ftrl, tree or ftrl+tree");
        if (relevance == DppRelevance.Calibrated && rescore != "none")
            throw new JobParameterException("parameter 'dpp-relevance' calibrated is not combined with 'rescore' (the calibrator learns from the blend's order)");
        var diversity = p.GetOptionalString("ild-target") is null ? null : DiversityControllerOptions.Starting(p.GetDouble("ild-target"), p.GetInt("ild-window"), theta);
        if (diversity?.Problem() is { } problem) throw new JobParameterException($"parameters 'ild-target'/'ild-window': {problem}");
        int k = p.GetInt("k");
        if (k < 1) throw new JobParameterException("parameter 'k' must be at least 1");
        var interval = p.GetDuration("publish-interval");
        if (interval <= TimeSpan.Zero) throw new JobParameterException("parameter 'publish-interval' must be positive");
        var retrain = p.GetDuration("retrain-interval");
        if (retrain > TimeSpan.Zero && retrain.Ticks % interval.Ticks != 0)
            throw new JobParameterException("parameter 'retrain-interval' must be a multiple of 'publish-interval' (refits are cut on publish boundaries)");
        var retrainWindow = p.GetDuration("retrain-window");
        if (retrainWindow <= TimeSpan.Zero) throw new JobParameterException("parameter 'retrain-window' must be positive");
        int retrainMax = p.GetInt("retrain-max-interactions"), retrainEpochs = p.GetInt("retrain-epochs");
        if (retrainMax < 1) throw new JobParameterException("parameter 'retrain-max-interactions' must be at least 1");
        if (retrainEpochs < 1) throw new JobParameterException("parameter 'retrain-epochs' must be at least 1");
        if (p.GetLong("versions-report-lists") < 0) throw new JobParameterException("parameter 'versions-report-lists' must not be negative");
        var order = p.GetString("order");
        if (order is not ("arrival" or "event-time")) throw new JobParameterException("parameter 'order' must be arrival or event-time");
        bool eventTime = order == "event-time";
        foreach (var name in new[] { "popularity-half-life", "recent-popularity-half-life", "covisitation-half-life", "affinity-half-life" })
            if (p.GetDuration(name) <= TimeSpan.Zero) throw new JobParameterException($"parameter '{name}' must be positive");
        var key = p.GetOptionalString("pseudonym-key") is { } text ? System.Text.Encoding.UTF8.GetBytes(text) : DefaultKey;
        if (key.Length < 16) throw new JobParameterException("parameter 'pseudonym-key' must be at least 16 bytes");
        return new RecommendationSettings(
            new UserFeatureOptions(HistoryWindow: p.GetDuration("history-window"), SessionGap: p.GetDuration("session-gap"),
                StateTimeToLive: p.GetDuration("user-ttl"), AffinityHalfLife: p.GetDuration("affinity-half-life")),
            new ItemModelOptions(PopularityHalfLifeDays: p.GetDuration("popularity-half-life").TotalDays,
                RecentPopularityHalfLifeDays: p.GetDuration("recent-popularity-half-life").TotalDays,
                CoVisitationHalfLifeDays: p.GetDuration("covisitation-half-life").TotalDays, PublishInterval: interval, RetrainInterval: retrain, RetrainWindow: retrainWindow,
                RetrainMaxInteractions: retrainMax, RetrainEpochs: retrainEpochs, UserTimeToLive: p.GetDuration("user-ttl"), EventTimeOrder: eventTime),
            new ScoringOptions(K: k, DppTheta: theta < 1 ? theta : null, DppCandidates: p.GetInt("dpp-candidates"),
                DppRelevance: relevance, DppKernel: kernel, DppPool: dppPool, DppPerGenre: perGenre, DppShrink: shrink, DppObjective: objective, Diversity: diversity, FtrlRescoring: rescore.Contains("ftrl", StringComparison.Ordinal),
                TreeRescoring: rescore.Contains("tree", StringComparison.Ordinal), SerendipityShare: share,
                VersionsKept: p.GetInt("versions-kept"), RollbackMargin: p.GetDouble("rollback-margin"), RollbackMinLists: p.GetLong("rollback-min-lists"),
                VersionReportLists: p.GetLong("versions-report-lists"), EventTimeOrder: eventTime),
            key)
        {
            PseudonymizeUsers = p.GetBool("pseudonymize"),
            ErasureLog = p.GetOptionalString("erasure-log"),
            GeoDatabase = p.GetOptionalString("geo-database") is { } geo
                ? (File.Exists(geo) ? geo : throw new JobParameterException($"parameter 'geo-database': {geo} does not exist"))
                : null,
        };
    }
}
