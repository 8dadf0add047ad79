using RecoFlow.Api;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Files;
using RecoFlow.Connectors.Memory;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// A Nexmark query as a job: a generated event stream (<see cref="NexmarkGenerator"/> behind a
/// <see cref="GeneratorSource{T}"/> with one split per parallel source subtask, event time from the events,
/// monotonous watermarks per split), the query (<see cref="Apply"/>) and a sink. Parameters common to all queries:
/// <c>events</c>, <c>rate</c>, <c>seed</c>, <c>output</c>, <c>parallelism</c>.
/// </summary>
public abstract class NexmarkQuery<TResult> : IJobDefinition
{
    private static readonly JobParameter[] Common =
    [
        new("events", "number of events to generate (1 person, 3 auctions, 46 bids per 50)", "1000000"),
        new("rate", "event-time rate: events per second of event time", "10000"),
        new("seed", "generator seed (same seed, same events)", "0"),
        new("output", "JSON Lines file the results are written to (needed unless the job is built with a sink)"),
        new("parallelism", "parallelism of the source and the operators", "1"),
    ];

    protected NexmarkQuery(string name, string description, params JobParameter[] queryParameters)
    {
        Name = name;
        Description = description;
        Parameters = [.. Common, .. queryParameters];
    }

    public string Name { get; }
    public string Description { get; }
    public IReadOnlyList<JobParameter> Parameters { get; }

    /// <summary>Parses parameters given as a dictionary (unknown names and malformed values throw <see cref="JobParameterException"/>).</summary>
    public JobParameters ParseParameters(IReadOnlyDictionary<string, string> values) => new(values, Parameters);

    /// <summary>The job writing the results, one JSON object per line, to the single file <c>output</c>.</summary>
    public StreamJob Build(JobParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var output = parameters.GetOptionalString("output")
            ?? throw new JobParameterException($"missing parameter 'output': {Common[3].Description}");
        return Build(parameters, FileSink<TResult>.JsonLines(output), sinkParallelism: 1);
    }

    /// <summary>The job writing the results to <paramref name="sink"/> (parallelism <c>parallelism</c> unless given).</summary>
    public StreamJob Build(JobParameters parameters, ISink<TResult> sink, int? sinkParallelism = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(sink);
        var parallelism = parameters.GetInt("parallelism");
        if (parallelism < 1) throw new JobParameterException($"parameter 'parallelism' must be at least 1, got {parallelism}");
        var events = parameters.GetLong("events");
        if (events < 0) throw new JobParameterException($"parameter 'events' must not be negative, got {events}");

        var job = new StreamJob(Name, parameters.Values).WithDefaultParallelism(parallelism);
        var generator = new NexmarkGenerator(GeneratorConfig(parameters));
        var source = new GeneratorSource<Event>(generator.Generate, events, splits: parallelism, timestamp: static e => e.DateTime);
        var stream = job.FromSource(source, WatermarkStrategy<Event>.ForMonotonousTimestamps(), "nexmark-events");
        var handle = Apply(stream, parameters).SinkTo(sink, $"{Name}-results");
        if (sinkParallelism is { } p) handle.SetParallelism(p);
        return job;
    }

    /// <summary>The generator settings the parameters <c>rate</c> and <c>seed</c> select.</summary>
    public static NexmarkConfig GeneratorConfig(JobParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var rate = parameters.GetLong("rate");
        if (rate < 1) throw new JobParameterException($"parameter 'rate' must be at least 1, got {rate}");
        return new NexmarkConfig { EventsPerSecond = rate, Seed = parameters.GetLong("seed") };
    }

    /// <summary>Adds the query's operators to the event stream and returns the result stream.</summary>
    public abstract DataStream<TResult> Apply(DataStream<Event> events, JobParameters parameters);

    /// <summary>The bids of the event stream.</summary>
    protected static DataStream<Bid> Bids(DataStream<Event> events) =>
        events.FlatMap<Bid>(static (e, output) => { if (e.Bid is { } bid) output.Collect(bid); }, "bids");

    /// <summary>A positive window length or slide parameter in milliseconds.</summary>
    protected static TimeSpan PositiveDuration(JobParameters parameters, string name)
    {
        var d = parameters.GetDuration(name);
        if (d < TimeSpan.FromMilliseconds(1)) throw new JobParameterException($"parameter '{name}' must be at least 1 ms, got {parameters.GetString(name)}");
        return d;
    }

    public override string ToString() => Name;
}
