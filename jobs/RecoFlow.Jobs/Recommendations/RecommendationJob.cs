using System.Globalization;
using System.Text;
using System.Text.Json;
using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors;
using RecoFlow.Connectors.Files;
using RecoFlow.Connectors.Http;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Push;
using RecoFlow.Recommendations.Streaming.Ingest;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Push;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Recommendations.Streaming.Users;

namespace RecoFlow.Jobs.Recommendations;

/// <summary>The streams of the recommendation dataflow a caller may attach sinks to.</summary>
/// <param name="VersionRecords">The scoring tasks' reports of the kept model versions and their online metrics (<see cref="ScoringFunction.VersionsOutput"/>).</param>
/// <param name="Probes">The probe lists (with <see cref="ScoringOptions.EmitProbes"/>): prequential evaluation reads these, never the served lists.</param>
/// <param name="DiversityRecords">The diversity loop's θ versions (with <see cref="ScoringOptions.Diversity"/>, <see cref="ScoringFunction.DiversityOutput"/>).</param>
/// <param name="PushCandidates">With <c>push=true</c>: the new lists of users with a Web Push subscription (<see cref="PushSubscriptionsFunction"/>), for the edge's push sink; else null.</param>
public sealed record RecommendationStreams(DataStream<Recommendation> Recommendations, DataStream<ModelDelta> ModelVersions, DataStream<ModelVersionRecord> VersionRecords,
    DataStream<Recommendation> Probes, DataStream<DiversityRecord> DiversityRecords, DataStream<PushCandidate>? PushCandidates = null);

/// <summary>
/// The real-time recommendation job: interactions → validation (dead letters) → consent, minimisation,
/// pseudonymisation and context features → user features (keyed by user) → the item model (keyed by item), which
/// publishes versions through broadcast state → scoring (keyed by user) → top-K per user after each interaction.
/// Sources: JSON Lines or MovieLens CSV files, or a Kafka topic; sinks: a JSON Lines file or a Kafka topic.
/// Rollback commands (<c>{"rollback_to": 3}</c>, <c>{"resume": true}</c>) come from an optional control file (followed
/// as it grows with <c>control-follow</c>) or topic; the model versions and their online metrics go to an optional
/// JSON Lines file or topic (<c>versions-output</c>, <c>versions-topic</c>; docs/events.md).
/// <c>parallelism</c> sets the tasks of the keyed operators (and of a Kafka source); a file source with the steps
/// chained to it, the control commands and the file sinks stay at one task. <c>rate</c> paces the input (events per
/// second over the source's tasks). On a cluster see docs/cluster.md, "The recommendation job on three nodes".
/// </summary>
public sealed class RecommendationJob : IJobDefinition
{
    public string Name => "recommendations";
    public string Description => "real-time personalised recommendations: user features, online item model with versions, scoring with DPP";

    public IReadOnlyList<JobParameter> Parameters { get; } =
    [
        new("source", "file or kafka", "file"),
        new("input", "interactions file (file source)"),
        new("format", "events (JSON Lines, docs/events.md) or movielens (userId,movieId,rating,timestamp)", "events"),
        new("catalog", "item catalogue: MovieLens movies.csv (movieId,title,genres)"),
        new("output", "JSON Lines file of recommendations (file sink)"),
        new("rejected-output", "JSON Lines file of rejected events (optional)"),
        new("control", "JSON Lines file of model commands (optional)"),
        new("control-follow", "follow the control file as it grows: auto (with source=kafka), true (the job then runs until stopped) or false (read it once)", "auto"),
        new("versions-output", "JSON Lines file of model version records: kind, status, online hit rate (optional)"),
        new("versions-topic", "Kafka topic of model version records (optional)"),
        new("diversity-output", "JSON Lines file of the diversity loop's theta versions (with ild-target; optional)"),
        new("bootstrap", "Kafka bootstrap servers (kafka source/sink)"),
        new("input-topic", "Kafka topic of interactions", "interactions"),
        new("output-topic", "Kafka topic of recommendations", "recommendations"),
        new("control-topic", "Kafka topic of model commands (optional)"),
        new("parallelism", "parallel tasks of user features and scoring (keyed by user) and of the item model (keyed by item); a file source and the file sinks stay at 1", "1"),
        new("rate", "replay the input at this many events per second (0: as fast as possible)", "0"),
        new("webhook-url", "also POST each list (its JSON line) to this http(s) URL, signed with HMAC-SHA256, at least once, dead-lettered after 5 tries (optional; docs/connectors.md)"),
        new("webhook-secret", "secret of the webhook's signature (at least 16 characters; required with webhook-url)"),
        new("push", "keep Web Push subscriptions (control events of the input) in keyed state by user and emit push candidates for the edge's push sink: true or false (needs format=events or source=kafka; docs/http-api.md, Web Push)", "false"),
        .. RecommendationSettings.Parameters,
    ];

    public StreamJob Build(JobParameters p) => Build(p, null);

    /// <summary>Builds the job; <paramref name="attach"/> may add sinks to its streams (the node's feed, a latency probe).</summary>
    public StreamJob Build(JobParameters p, Action<RecommendationStreams>? attach)
    {
        var settings = RecommendationSettings.From(p);
        var source = p.GetString("source");
        if (source is not ("file" or "kafka")) throw new JobParameterException("parameter 'source' must be file or kafka");
        var catalogPath = p.GetOptionalString("catalog");
        if (catalogPath is not null && !File.Exists(catalogPath)) throw new JobParameterException($"parameter 'catalog': file not found: {catalogPath}");
        Func<ItemCatalog> catalog = () => catalogPath is null ? new ItemCatalog() : MovieLensLoader.LoadMovies(catalogPath);
        int parallelism = p.GetInt("parallelism");
        if (parallelism < 1) throw new JobParameterException("parameter 'parallelism' must be at least 1");
        int rate = p.GetInt("rate");
        if (rate < 0) throw new JobParameterException("parameter 'rate' must not be negative");
        var job = new StreamJob(Name, p.Values).WithDefaultParallelism(parallelism);
        if (settings.Scoring.EventTimeOrder && (source != "file" || p.GetString("format") != "movielens"))
            throw new JobParameterException("parameter 'order' event-time needs source=file with format=movielens (the other inputs carry no watermarks yet)");
        if (settings.Scoring.EventTimeOrder && p.GetOptionalString("control") is not null && p.GetString("control-follow") == "true")
            throw new JobParameterException("parameter 'order' event-time does not go with control-follow=true: a followed control file never ends and carries no watermarks, so it would hold the scoring back");

        DataStream<Interaction> interactions;
        DataStream<ModelMessage>? control = null;
        DataStream<RejectedEvent>? rejected = null;
        DataStream<ErasureRequest>? erasures = null;
        DataStream<PushSubscriptionChange>? subscriptions = null;
        string? bootstrap = p.GetOptionalString("bootstrap");
        if (source == "kafka" && bootstrap is null) throw new JobParameterException("parameter 'bootstrap' is required with source=kafka");
        if (source == "file")
        {
            var input = p.GetOptionalString("input") ?? throw new JobParameterException("parameter 'input' is required with source=file");
            if (!File.Exists(input)) throw new JobParameterException($"parameter 'input': file not found: {input}");
            var format = p.GetString("format");
            if (format == "movielens")
            {
                // With order=event-time the ratings' own times drive the watermark (the file is in time order).
                var watermarks = settings.Scoring.EventTimeOrder
                    ? WatermarkStrategy<Interaction>.ForMonotonousTimestamps().WithTimestampAssigner(i => i.TimestampMs)
                    : WatermarkStrategy<Interaction>.NoWatermarks();
                interactions = job.FromSource(Paced(new CsvFileSource<Interaction>([input], ParseMovieLens), rate), watermarks, "ratings").SetParallelism(1);
            }
            else if (format == "events")
            {
                var raw = job.FromSource(Paced(new JsonLinesFileSource<string>([input], s => s), rate), WatermarkStrategy<string>.NoWatermarks(), "interactions").SetParallelism(1);
                interactions = raw.Process(new ValidateInteractions(), "validate").Uid("validate").SetParallelism(1);
                rejected = interactions.GetSideOutput(ValidateInteractions.Rejected);
                erasures = interactions.GetSideOutput(ValidateInteractions.Erasures);
                subscriptions = interactions.GetSideOutput(ValidateInteractions.PushSubscriptions);
            }
            else throw new JobParameterException("parameter 'format' must be events or movielens");
        }
        else
        {
            var raw = job.FromSource(Paced(KafkaSource.Strings(new KafkaSourceOptions { BootstrapServers = bootstrap!, Topics = [p.GetString("input-topic")], GroupId = "recoflow-recommendations" }), rate),
                WatermarkStrategy<string>.NoWatermarks(), "interactions");
            interactions = raw.Process(new ValidateInteractions(), "validate").Uid("validate");
            rejected = interactions.GetSideOutput(ValidateInteractions.Rejected);
            erasures = interactions.GetSideOutput(ValidateInteractions.Erasures);
            subscriptions = interactions.GetSideOutput(ValidateInteractions.PushSubscriptions);
            if (p.GetOptionalString("control-topic") is { } topic)
                control = job.FromSource(KafkaSource.Strings(new KafkaSourceOptions { BootstrapServers = bootstrap!, Topics = [topic], GroupId = "recoflow-recommendations" }),
                    WatermarkStrategy<string>.NoWatermarks(), "model commands").SetParallelism(1).Map(ParseCommand, "parse command").SetParallelism(1);
        }

        if (p.GetOptionalString("control") is { } controlFile)
        {
            if (control is not null) throw new JobParameterException("give 'control' (file) or 'control-topic', not both");
            bool follow = p.GetString("control-follow") switch
            {
                "auto" => source == "kafka",
                "true" => true,
                "false" => false,
                _ => throw new JobParameterException("parameter 'control-follow' must be auto, true or false"),
            };
            if (!follow && !File.Exists(controlFile)) throw new JobParameterException($"parameter 'control': file not found: {controlFile} (a followed control file may be created later)");
            var commands = follow
                ? job.FromSource(new TailingLineFileSource<string>(controlFile, s => s, "JSON Lines"), WatermarkStrategy<string>.NoWatermarks(), "model commands")
                : job.FromSource(new JsonLinesFileSource<string>([controlFile], s => s), WatermarkStrategy<string>.NoWatermarks(), "model commands");
            control = commands.SetParallelism(1).Map(ParseCommand, "parse command").SetParallelism(1);
        }

        var push = p.GetString("push") switch
        {
            "true" => true,
            "false" => false,
            _ => throw new JobParameterException("parameter 'push' must be true or false"),
        };
        if (push && subscriptions is null) throw new JobParameterException("parameter 'push' needs format=events or source=kafka (MovieLens input carries no subscriptions)");
        var streams = Pipeline(interactions, catalog, settings, control, erasures, push ? subscriptions : null);
        attach?.Invoke(streams);
        if (streams.PushCandidates is not null && !IsConsumed(job, streams.PushCandidates))
            throw new JobParameterException("parameter 'push' needs a host that attaches a push sink to the candidates (recoflow demo attaches the node's; docs/http-api.md, Web Push): run alone, the job has nowhere to send them");
        if (p.GetOptionalString("output") is { } output)
            streams.Recommendations.SinkTo(new FileSink<Recommendation>(output, ToJson, "JSON Lines"), "recommendations file").SetParallelism(1);
        else if (bootstrap is not null)
            streams.Recommendations.SinkTo(new KafkaSink<Recommendation>(new KafkaSinkOptions { BootstrapServers = bootstrap, Topic = p.GetString("output-topic") },
                r => Encoding.UTF8.GetBytes(ToJson(r)), r => r.UserKey), "recommendations topic");
        else throw new JobParameterException("give 'output' (file) or 'bootstrap' (Kafka) for the recommendations");
        if (Webhook(p) is { } webhook)
            streams.Recommendations.SinkTo(webhook, "recommendations webhook");
        if (p.GetOptionalString("versions-output") is { } versionsFile)
            streams.VersionRecords.SinkTo(new FileSink<ModelVersionRecord>(versionsFile, ToJson, "JSON Lines"), "model versions file").SetParallelism(1);
        if (p.GetOptionalString("diversity-output") is { } diversityFile)
        {
            if (settings.Scoring.Diversity is null) throw new JobParameterException("parameter 'diversity-output' needs 'ild-target' (without it there is no diversity loop)");
            streams.DiversityRecords.SinkTo(new FileSink<DiversityRecord>(diversityFile, ToJson, "JSON Lines"), "diversity versions file").SetParallelism(1);
        }
        if (p.GetOptionalString("versions-topic") is { } versionsTopic)
        {
            if (bootstrap is null) throw new JobParameterException("parameter 'versions-topic' needs 'bootstrap'");
            streams.VersionRecords.SinkTo(new KafkaSink<ModelVersionRecord>(new KafkaSinkOptions { BootstrapServers = bootstrap, Topic = versionsTopic },
                r => Encoding.UTF8.GetBytes(ToJson(r)), r => r.Info.Version.ToString(CultureInfo.InvariantCulture)), "model versions topic");
        }
        if (rejected is not null && p.GetOptionalString("rejected-output") is { } rej)
            rejected.SinkTo(new FileSink<RejectedEvent>(rej, r => JsonSerializer.Serialize(new { reason = r.Reason, raw = r.Raw }), "JSON Lines"), "rejected events").SetParallelism(1);
        return job;
    }

    /// <summary>The dataflow from validated interactions to recommendations; <paramref name="control"/> carries rollback commands.</summary>
    /// <remarks>
    /// <paramref name="erasures"/> carries opt-outs: each clears the user's keyed state in user features and scoring.
    /// The keyed operators (user features, item model, scoring) run at the job's default parallelism. The privacy step
    /// (and the erasures' map) run at the parallelism of their input, chained to it: a forward edge between different
    /// parallelisms would rebalance, and a user's events could overtake one another before the key-by.
    /// <paramref name="subscriptions"/> (Web Push subscription changes) adds the push step: the lists, the changes and the
    /// erasures keyed by user into <see cref="PushSubscriptionsFunction"/>, whose candidates are
    /// <see cref="RecommendationStreams.PushCandidates"/>.
    /// </remarks>
    public static RecommendationStreams Pipeline(DataStream<Interaction> interactions, Func<ItemCatalog> catalog, RecommendationSettings settings,
        DataStream<ModelMessage>? control = null, DataStream<ErasureRequest>? erasures = null, DataStream<PushSubscriptionChange>? subscriptions = null)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        ArgumentNullException.ThrowIfNull(settings);
        var events = interactions.Process(new PrivacyAndContext(settings.PseudonymKey, pseudonymize: settings.PseudonymizeUsers, geoDatabase: settings.GeoDatabase), "consent, minimise, pseudonymise, context")
            .Uid("privacy-context").SetParallelism(ParallelismOf(interactions));
        if (erasures is not null)
            events = events.Union(erasures.Map(e => UserEvent.Erasure(settings.UserKey(e.UserKey), e.ErasedAtMs), "erasure").SetParallelism(ParallelismOf(erasures)));
        var erased = settings.ErasedUsers();
        var profiled = events.KeyBy(e => e.UserKey).Process(new UserFeaturesFunction(catalog, settings.Users, erased), "user features").Uid("user-features");
        var versions = profiled.GetSideOutput(UserFeaturesFunction.ItemFeedbackOutput)
            .KeyBy(f => f.ItemId)
            .Transform("ItemModel", "item model", () => new ItemModelOperator(settings.ItemModel)).Uid("item-model");
        var messages = versions.Map(ModelMessage.Publish, "model version");
        if (control is not null) messages = messages.Union(control);
        var recommendations = profiled.KeyBy(e => e.Event.UserKey)
            .Connect(messages.Broadcast(ScoringFunction.ModelDescriptor))
            .Process(new ScoringFunction(catalog, settings.Scoring, erased), "scoring").Uid("scoring");
        DataStream<PushCandidate>? candidates = null;
        if (subscriptions is not null)
        {
            var inputs = recommendations.Map(r => PushInput.Of(r), "push: lists")
                .Union(subscriptions.Map(c => PushInput.Of(c with { UserKey = settings.UserKey(c.UserKey) }), "push: subscriptions").SetParallelism(ParallelismOf(subscriptions)));
            if (erasures is not null)
                inputs = inputs.Union(erasures.Map(e => PushInput.Of(e with { UserKey = settings.UserKey(e.UserKey) }), "push: erasures").SetParallelism(ParallelismOf(erasures)));
            candidates = inputs.KeyBy(i => i.UserKey).Process(new PushSubscriptionsFunction(erased), "push subscriptions").Uid("push-subscriptions");
        }
        return new RecommendationStreams(recommendations, versions, recommendations.GetSideOutput(ScoringFunction.VersionsOutput),
            recommendations.GetSideOutput(ScoringFunction.ProbesOutput), recommendations.GetSideOutput(ScoringFunction.DiversityOutput), candidates);
    }

    /// <summary>True when an operator or sink of <paramref name="job"/> reads <paramref name="stream"/>.</summary>
    /// <remarks>A method of its own, so the lambdas of <see cref="Build(JobParameters, Action{RecommendationStreams})"/> do not capture the stream (and the graph behind it).</remarks>
    private static bool IsConsumed<T>(StreamJob job, DataStream<T> stream) =>
        job.Transformations.Any(t => t.Inputs.Any(e => e.SideOutput is null && stream.Producers.Any(p => p.Node == e.Source)));

    /// <summary>The parallelism of the operator(s) a stream comes from (the largest, for a union).</summary>
    private static int ParallelismOf<T>(DataStream<T> stream) => stream.Producers.Max(p => p.Node.EffectiveParallelism);

    private static ISource<T> Paced<T>(ISource<T> source, int rate) => rate > 0 ? new RateLimitedSource<T>(source, rate) : source;

    /// <summary>A MovieLens ratings row as a rating interaction (event id from user, movie and time).</summary>
    public static Interaction ParseMovieLens(string[] f)
    {
        if (f.Length != 4) throw new FormatException("expected userId,movieId,rating,timestamp");
        long seconds = long.Parse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture);
        return new Interaction($"ml-{f[0]}-{f[1]}-{f[3]}", f[0], f[1], InteractionType.Rating,
            double.Parse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture), seconds * 1000, InteractionContext.Empty, Consent.Granted);
    }

    /// <summary>A model command: <c>{"rollback_to": N}</c> or <c>{"resume": true}</c>.</summary>
    public static ModelMessage ParseCommand(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("rollback_to", out var v)) return ModelMessage.Rollback(v.GetInt64());
        if (root.TryGetProperty("resume", out var r) && r.GetBoolean()) return ModelMessage.ResumeLatest();
        if (root.TryGetProperty("diversity_rollback_to", out var dv)) return ModelMessage.RollbackDiversity(dv.GetInt64());
        if (root.TryGetProperty("diversity_resume", out var dr) && dr.GetBoolean()) return ModelMessage.ResumeDiversity();
        throw new FormatException($"unknown model command: {json}");
    }

    /// <summary>A model version record as a JSON line (docs/events.md).</summary>
    public static string ToJson(ModelVersionRecord r) => JsonSerializer.Serialize(new
    {
        version = r.Info.Version,
        kind = r.Info.Kind,
        status = r.Info.Status,
        cut_ms = r.Info.CutMs,
        activated_ms = r.Info.ActivatedMs,
        items = r.Info.Items,
        lists = r.Info.Lists,
        hits = r.Info.Hits,
        hit_rate = Math.Round(r.Info.HitRate, 6),
        reason = r.Reason,
        subtask = r.Subtask,
        at_ms = r.AtMs,
    });

    public static string ToJson(Recommendation r) => RecommendationJson.Output(r);

    /// <summary>A diversity loop record as a JSON line (docs/events.md).</summary>
    public static string ToJson(DiversityRecord r) => JsonSerializer.Serialize(new
    {
        version = r.Version,
        theta = Math.Round(r.Theta, 6),
        window_ild = double.IsNaN(r.WindowIld) ? (double?)null : Math.Round(r.WindowIld, 6),
        target = r.Target,
        lists = r.Lists,
        reason = r.Reason,
        subtask = r.Subtask,
        at_ms = r.AtMs,
    });

    /// <summary>The webhook sink of <c>webhook-url</c> and <c>webhook-secret</c>, or null without a URL.</summary>
    private static WebhookSink<Recommendation>? Webhook(JobParameters p)
    {
        if (p.GetOptionalString("webhook-url") is not { } url) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new JobParameterException($"parameter 'webhook-url' must be an absolute http or https URL, got '{url}'");
        var secret = p.GetOptionalString("webhook-secret") is { } s ? Encoding.UTF8.GetBytes(s)
            : throw new JobParameterException("parameter 'webhook-secret' is required with 'webhook-url' (the receiver checks the signature)");
        if (secret.Length < 16) throw new JobParameterException("parameter 'webhook-secret' must be at least 16 bytes");
        return new WebhookSink<Recommendation>(uri, r => Encoding.UTF8.GetBytes(ToJson(r)), r => r.EventId, secret);
    }
}
