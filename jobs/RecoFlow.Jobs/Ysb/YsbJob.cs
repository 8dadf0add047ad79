using RecoFlow.Api;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Files;

namespace RecoFlow.Jobs.Ysb;

/// <summary>
/// The Yahoo Streaming Benchmark: keep views, join ad → campaign, count views per campaign per event-time tumbling
/// window (aligned to the epoch). Unknown ads go to a side output; late views to another. Output: one JSON line per
/// (campaign, window) with at least one view, written when the window closes.
/// </summary>
public sealed class YsbJob : IJobDefinition
{
    public static readonly OutputTag<YsbEvent> UnknownAd = new("unknown-ad");
    public static readonly OutputTag<CampaignView> Late = new("late");

    public string Name => "ysb";
    public string Description => "Yahoo Streaming Benchmark: views per campaign per tumbling event-time window";

    public IReadOnlyList<JobParameter> Parameters { get; } =
    [
        .. YsbSources.Parameters,
        new("campaigns", "CSV file with header ad_id,campaign_id", Required: true),
        new("output", "JSON Lines file of window counts", Required: true),
        new("late-output", "JSON Lines file for views that arrive after their window closed (optional)"),
        new("unknown-output", "JSON Lines file for events whose ad_id is not in the campaign table (optional)"),
        new("window", "window size", "10s"),
        new("max-out-of-orderness", "how far events may arrive out of order before they are late", "5s"),
        new("parallelism", "parallel tasks per operator", "1"),
        new("rate", "replay the input at this many events per second (0: as fast as possible)", "0"),
    ];

    public StreamJob Build(JobParameters p)
    {
        var window = p.GetDuration("window");
        if (window <= TimeSpan.Zero) throw new JobParameterException("parameter 'window' must be positive");
        var lag = p.GetDuration("max-out-of-orderness");
        var campaignsPath = p.GetString("campaigns");
        if (!File.Exists(campaignsPath)) throw new JobParameterException($"parameter 'campaigns': file not found: {campaignsPath}");
        var source = YsbSources.Create(p);
        var rate = p.GetInt("rate");
        if (rate < 0) throw new JobParameterException("parameter 'rate' must not be negative");
        if (rate > 0) source = new Connectors.RateLimitedSource<YsbEvent>(source, rate);
        var parallelism = p.GetInt("parallelism");
        if (parallelism < 1) throw new JobParameterException("parameter 'parallelism' must be at least 1");

        var job = new StreamJob(Name, p.Values).WithDefaultParallelism(parallelism);
        var (joined, counts) = Pipeline(job, source, () => YsbData.LoadCampaigns(campaignsPath), window, lag, YsbSources.Parallelism(p));
        counts.SinkTo(new FileSink<YsbResult>(p.GetString("output"), r => r.ToJson(), "JSON Lines"), "window counts").SetParallelism(1);
        if (p.GetOptionalString("late-output") is { } late)
            counts.GetSideOutput(Late).SinkTo(new FileSink<CampaignView>(late, v => $"{{\"campaign_id\":{System.Text.Json.JsonSerializer.Serialize(v.CampaignId)},\"event_time\":{v.EventTime}}}"), "late views").SetParallelism(1);
        if (p.GetOptionalString("unknown-output") is { } unknown)
            joined.GetSideOutput(UnknownAd).SinkTo(new FileSink<YsbEvent>(unknown, e => e.ToJson()), "unknown ads").SetParallelism(1);
        return job;
    }

    /// <summary>
    /// The YSB dataflow from any source: views joined to campaigns (unknown ads to <see cref="UnknownAd"/>), counted per
    /// campaign and window (late views to <see cref="Late"/>). Returns the joined stream (for its side output) and the counts.
    /// The source, filter and join run with <paramref name="sourceParallelism"/> tasks (chained).
    /// </summary>
    public static (DataStream<CampaignView> Joined, DataStream<YsbResult> Counts) Pipeline(StreamJob job, Api.Connectors.ISource<YsbEvent> source,
        Func<IReadOnlyDictionary<string, string>> campaigns, TimeSpan window, TimeSpan maxOutOfOrderness, int sourceParallelism = 1,
        Func<DataStream<YsbEvent>, DataStream<YsbEvent>>? afterSource = null)
    {
        var events = job.FromSource(source,
            WatermarkStrategy<YsbEvent>.ForBoundedOutOfOrderness(maxOutOfOrderness).WithTimestampAssigner(e => e.EventTime),
            "ad events").SetParallelism(sourceParallelism);
        if (afterSource is not null) events = afterSource(events);
        var joined = events
            .Filter(e => e.EventType == "view", "views").SetParallelism(sourceParallelism)
            .Process(new CampaignJoin(campaigns), "join campaign").SetParallelism(sourceParallelism);
        var counts = joined
            .KeyBy(v => v.CampaignId)
            .Window(TumblingWindows<CampaignView>.OfEventTime(window))
            .SideOutputLateData(Late)
            .Aggregate(new CountAggregate<CampaignView>(), (campaign, w, n) => new YsbResult(campaign, w.Start, w.End, n), "count per campaign");
        return (joined, counts);
    }

    /// <summary>Joins ad_id → campaign_id from the campaign table, loaded when the operator opens.</summary>
    private sealed class CampaignJoin(Func<IReadOnlyDictionary<string, string>> load) : ProcessFunction<YsbEvent, CampaignView>
    {
        private IReadOnlyDictionary<string, string> _campaigns = new Dictionary<string, string>();

        public override void Open() => _campaigns = load();

        public override void ProcessElement(YsbEvent value, IProcessContext context, ICollector<CampaignView> output)
        {
            if (_campaigns.TryGetValue(value.AdId, out var campaign)) output.Collect(new CampaignView(campaign, value.EventTime));
            else context.Output(UnknownAd, value);
        }
    }
}
