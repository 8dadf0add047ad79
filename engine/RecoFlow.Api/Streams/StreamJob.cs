using RecoFlow.Api.Connectors;
using RecoFlow.Api.Graph;
using RecoFlow.Api.State;
using RecoFlow.Api.Time;

namespace RecoFlow.Api.Streams;

/// <summary>
/// Builds a job: sources, operators and sinks wired into a declarative graph (Flink: StreamExecutionEnvironment,
/// without the execution). Building runs nothing; <see cref="Build"/> validates and freezes the graph.
/// </summary>
public sealed class StreamJob
{
    private readonly List<Transformation> _transformations = [];
    private int _defaultParallelism = 1;
    private int _maxParallelism = 128;

    public StreamJob(string name, IReadOnlyDictionary<string, string>? parameters = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a job needs a name", nameof(name));
        Name = name;
        Parameters = parameters ?? new Dictionary<string, string>();
    }

    public string Name { get; }
    public IReadOnlyDictionary<string, string> Parameters { get; }
    public IReadOnlyList<Transformation> Transformations => _transformations;

    /// <summary>Parallelism of operators that do not set their own.</summary>
    public int DefaultParallelism => _defaultParallelism;

    /// <summary>Number of key groups (Flink: max parallelism): the upper bound of any keyed operator's parallelism, fixed for the job's lifetime.</summary>
    public int MaxParallelism => _maxParallelism;

    public StreamJob WithDefaultParallelism(int parallelism)
    {
        if (parallelism < 1) throw new ArgumentOutOfRangeException(nameof(parallelism), "parallelism must be at least 1");
        _defaultParallelism = parallelism;
        return this;
    }

    public StreamJob WithMaxParallelism(int maxParallelism)
    {
        if (maxParallelism is < 1 or > 32768) throw new ArgumentOutOfRangeException(nameof(maxParallelism), "max parallelism must be in 1..32768");
        _maxParallelism = maxParallelism;
        return this;
    }

    /// <summary>
    /// Opt-in: a key-by edge whose sending and keyed sides both run with parallelism 1 is chained like a forward edge,
    /// so records reach the keyed operator by a direct call instead of through a channel (all key groups are in that
    /// one task anyway; keyed state is still kept and checkpointed per key group, so the job can later be rescaled from
    /// a savepoint). It saves the exchange's batching and hand-over, and gives up running the two sides on two threads:
    /// worth it when the machine's cores are busy with other tasks or jobs, or when the keyed side is cheap.
    /// </summary>
    public StreamJob WithKeyedChainingAtParallelismOne(bool enabled = true)
    {
        _chainKeyedAtParallelismOne = enabled;
        return this;
    }

    private bool _chainKeyedAtParallelismOne;

    /// <summary>Where the job's keyed state lives (default <see cref="StateBackendKind.Heap"/>).</summary>
    public StateBackendKind StateBackend { get; private set; } = StateBackendKind.Heap;

    /// <summary>
    /// Where the job's keyed state lives while it runs: on the heap (the default) or in an embedded RocksDB per keyed
    /// operator subtask, for state larger than memory. Both checkpoint the same format, so a job can switch backend
    /// through a savepoint. <c>recoflow run --state-backend heap|rocksdb</c> sets it for a job it runs.
    /// </summary>
    public StreamJob WithStateBackend(StateBackendKind backend)
    {
        if (!Enum.IsDefined(backend)) throw new ArgumentOutOfRangeException(nameof(backend), backend, "unknown state backend");
        StateBackend = backend;
        return this;
    }

    internal int Register(Transformation t)
    {
        _transformations.Add(t);
        return _transformations.Count;
    }

    /// <summary>Adds a source. Event time and watermarks are assigned per source split by <paramref name="watermarks"/>.</summary>
    public DataStream<T> FromSource<T>(ISource<T> source, WatermarkStrategy<T> watermarks, string name)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(watermarks);
        var t = new SourceTransformation<T>(this, source, watermarks, name);
        return new DataStream<T>(this, [new Producer(t, null)]);
    }

    /// <summary>Validates the graph; throws <see cref="JobValidationException"/> listing every problem.</summary>
    public JobGraph Build()
    {
        var problems = new List<string>();
        if (!_transformations.Any(t => t is SinkTransformationBase))
            problems.Add("the job has no sink: end at least one stream with SinkTo(...)");
        foreach (var t in _transformations)
        {
            if (t is not SinkTransformationBase && t.Consumers.Count == 0)
                problems.Add($"{t} is dangling: its output is never consumed (add a sink or remove it)");
            var p = t.EffectiveParallelism;
            if (t.MaxAllowedParallelism is { } max && p > max)
                problems.Add($"{t} cannot run with parallelism {p}: at most {max} (a window on a non-keyed stream sees all records in one task; key the stream first)");
            if (t.KeyedBy is not null && p > _maxParallelism)
                problems.Add($"{t} has parallelism {p} above the job's max parallelism {_maxParallelism}");
        }
        foreach (var dup in _transformations.Where(t => t.Uid is not null).GroupBy(t => t.Uid).Where(g => g.Count() > 1))
            problems.Add($"uid '{dup.Key}' is used by more than one operator: {string.Join(", ", dup)}");
        if (problems.Count > 0) throw new JobValidationException(Name, problems);
        return new JobGraph(Name, _transformations.ToArray(), _defaultParallelism, _maxParallelism, Parameters, _chainKeyedAtParallelismOne, StateBackend);
    }

    /// <summary>The logical plan; validates first.</summary>
    public string Explain() => Build().Explain();
}

/// <summary>One upstream output feeding a stream: a node, and which of its side outputs (null: the main output).</summary>
public readonly record struct Producer(Transformation Node, IOutputTag? SideOutput);
