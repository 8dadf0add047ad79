using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Files;

namespace CustomRecommender;

/// <summary>
/// A recommender of one's own on the engine's keyed state: "viewed next by others". Views are keyed by user to find
/// each user's transitions between items, then keyed by item to count what follows it; every change emits the item's
/// new top list. <c>recoflow run PUBLISHED_FOLDER --job-class CustomRecommender.NextItemRecommender --param
/// input=views.jsonl --param output=recommendations.jsonl</c>.
/// </summary>
public sealed class NextItemRecommender : IJobDefinition
{
    public string Name => "next-item-recommender";
    public string Description => "items viewed next by others, per item, from a file of views";

    public IReadOnlyList<JobParameter> Parameters { get; } =
    [
        new("input", "JSON Lines file of views: {\"user\":\"u1\",\"item\":\"i1\",\"ts\":1000}", Required: true),
        new("output", "JSON Lines file of recommendations, one per change", Required: true),
        new("top", "how many items a recommendation lists", "3"),
    ];

    public StreamJob Build(JobParameters parameters)
    {
        var input = parameters.GetString("input");
        if (!File.Exists(input)) throw new JobParameterException($"parameter 'input': file not found: {input}");
        var top = parameters.GetInt("top");
        if (top < 1) throw new JobParameterException("parameter 'top' must be at least 1");
        var job = new StreamJob(Name, parameters.Values);
        Pipeline(job, new JsonLinesFileSource<View>([input]), top)
            .SinkTo(FileSink<Recommendation>.JsonLines(parameters.GetString("output")), "recommendations")
            .SetParallelism(1);
        return job;
    }

    /// <summary>The dataflow from any source of views: the tests run it over an in-memory source.</summary>
    public static DataStream<Recommendation> Pipeline(StreamJob job, ISource<View> views, int top) =>
        job.FromSource(views, WatermarkStrategy<View>.ForMonotonousTimestamps().WithTimestampAssigner(v => v.Ts), "views")
            .KeyBy(v => v.User)
            .Process(new Transitions(), "transitions per user")
            .KeyBy(t => t.Previous)
            .Process(new TopFollowers(top), "top followers per item");
}
