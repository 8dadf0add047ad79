using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Connectors.Sql;

namespace KafkaWindowedSql;

/// <summary>A page view as JSON on the Kafka topic: <c>{"url":"/a","user":"u1","ts":1000}</c>.</summary>
public sealed record PageView(string Url, string User, long Ts);

/// <summary>Views of one page in one window, [Start, End).</summary>
public sealed record PageCount(string Url, long Start, long End, long Views);

/// <summary>
/// Kafka → windowed aggregation → SQL: page views read from a Kafka topic, counted per page in tumbling event-time
/// windows, written as rows of a SQLite table (exactly once when checkpoints are on: rows of a checkpoint appear when it
/// completes). <c>recoflow run PUBLISHED_FOLDER --job-class KafkaWindowedSql.PageViewsPerWindow --param
/// bootstrap=127.0.0.1:9092 --param topic=page-views --param database=views.db --state-dir st</c>.
/// </summary>
public sealed class PageViewsPerWindow : IJobDefinition
{
    public const string Table = "page_views";

    public string Name => "page-views-per-window";
    public string Description => "page views from Kafka, counted per page per tumbling window, into a SQLite table";

    public IReadOnlyList<JobParameter> Parameters { get; } =
    [
        new("bootstrap", "Kafka bootstrap servers", Required: true),
        new("topic", "topic of JSON page views", Required: true),
        new("database", "SQLite database file of the page_views table", Required: true),
        new("window", "window size", "1m"),
        new("group", "Kafka consumer group", "page-views-per-window"),
    ];

    public StreamJob Build(JobParameters parameters)
    {
        var window = parameters.GetDuration("window");
        if (window <= TimeSpan.Zero) throw new JobParameterException("parameter 'window' must be positive");
        var source = KafkaSource.Json<PageView>(new KafkaSourceOptions
        {
            BootstrapServers = parameters.GetString("bootstrap"),
            Topics = [parameters.GetString("topic")],
            GroupId = parameters.GetString("group"),
        });
        var job = new StreamJob(Name, parameters.Values);
        Pipeline(job, source, window).SinkTo(Sink($"Data Source={parameters.GetString("database")}"), "page_views table").SetParallelism(1);
        return job;
    }

    /// <summary>The dataflow from any source of page views: the tests run it over an in-memory source.</summary>
    public static DataStream<PageCount> Pipeline(StreamJob job, ISource<PageView> views, TimeSpan window) =>
        job.FromSource(views,
                WatermarkStrategy<PageView>.ForBoundedOutOfOrderness(TimeSpan.FromSeconds(5)).WithTimestampAssigner(v => v.Ts),
                "page views")
            .KeyBy(v => v.Url)
            .Window(TumblingWindows<PageView>.OfEventTime(window))
            .Aggregate(new CountAggregate<PageView>(), (url, w, n) => new PageCount(url, w.Start, w.End, n), "views per page");

    /// <summary>The SQLite table the counts go to (created if missing).</summary>
    public static SqlSink<PageCount> Sink(string connectionString) => new(SqlDialect.Sqlite, connectionString, Table,
    [
        new("url", "TEXT", c => c.Url),
        new("window_start", "INTEGER", c => c.Start),
        new("window_end", "INTEGER", c => c.End),
        new("views", "INTEGER", c => c.Views),
    ]);
}
