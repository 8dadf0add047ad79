using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Files;

namespace RecoFlowJob;

/// <summary>A click of a user at an event time (milliseconds since the epoch).</summary>
public sealed record Click(string User, long Ts);

/// <summary>How many clicks a user made in one minute of event time, [Start, End).</summary>
public sealed record UserCount(string User, long Start, long End, long Clicks);

/// <summary>
/// Counts clicks per user per minute of event time. Events may arrive up to five seconds out of order. Run it with
/// <c>recoflow run PUBLISHED_FOLDER --job-class RecoFlowJob.ClicksPerMinute --param input=clicks.jsonl --param output=counts.jsonl</c>.
/// </summary>
public sealed class ClicksPerMinute : IJobDefinition
{
    public string Name => "clicks-per-minute";
    public string Description => "clicks per user per minute of event time";

    public IReadOnlyList<JobParameter> Parameters { get; } =
    [
        new("input", "JSON Lines file of clicks: {\"user\":\"alice\",\"ts\":1000}", Required: true),
        new("output", "JSON Lines file of counts per user and minute", Required: true),
    ];

    public StreamJob Build(JobParameters parameters)
    {
        var input = parameters.GetString("input");
        if (!File.Exists(input)) throw new JobParameterException($"parameter 'input': file not found: {input}");
        var job = new StreamJob(Name, parameters.Values);
        Pipeline(job, new JsonLinesFileSource<Click>([input]))
            .SinkTo(FileSink<UserCount>.JsonLines(parameters.GetString("output")), "counts")
            .SetParallelism(1);
        return job;
    }

    /// <summary>The dataflow from any source of clicks: the tests run it over an in-memory source.</summary>
    public static DataStream<UserCount> Pipeline(StreamJob job, ISource<Click> clicks) =>
        job.FromSource(clicks,
                WatermarkStrategy<Click>.ForBoundedOutOfOrderness(TimeSpan.FromSeconds(5)).WithTimestampAssigner(c => c.Ts),
                "clicks")
            .KeyBy(c => c.User)
            .Window(TumblingWindows<Click>.OfEventTime(TimeSpan.FromMinutes(1)))
            .Aggregate(new CountAggregate<Click>(), (user, window, count) => new UserCount(user, window.Start, window.End, count), "count per user");
}
