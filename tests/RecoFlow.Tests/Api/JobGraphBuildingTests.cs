using RecoFlow.Api;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Connectors.Memory;

namespace RecoFlow.Tests.Api;

/// <summary>Flink's <c>-p</c>: the submitter's parallelism becomes the job's default, and its 'parallelism' parameter if it declares one.</summary>
public sealed class JobGraphBuildingTests
{
    /// <summary>A source at parallelism 1 (set by the job), a map at the default parallelism, a sink.</summary>
    private sealed class Numbers(bool declaresParallelism) : IJobDefinition
    {
        public string Name => "numbers";
        public string Description => "numbers";
        public IReadOnlyList<JobParameter> Parameters { get; } = declaresParallelism ? [new("parallelism", "tasks", "1")] : [];
        public int? SeenParameter { get; private set; }

        public StreamJob Build(JobParameters parameters)
        {
            SeenParameter = declaresParallelism ? parameters.GetInt("parallelism") : null;
            var job = new StreamJob(Name, parameters.Values).WithDefaultParallelism(SeenParameter ?? 1);
            job.FromSource(new CollectionSource<int>([1, 2, 3]), WatermarkStrategy<int>.NoWatermarks(), "numbers").SetParallelism(1)
                .Map(i => i * 2, "double")
                .SinkTo(new CollectSink<int>(), "out");
            return job;
        }
    }

    private static int ParallelismOf(RecoFlow.Api.Graph.JobGraph graph, string name) =>
        graph.Transformations.Single(t => t.Name == name).EffectiveParallelism;

    [Fact]
    public void Without_an_override_the_job_keeps_its_own_parallelism()
    {
        var graph = new Numbers(declaresParallelism: true).BuildGraph(new Dictionary<string, string> { ["parallelism"] = "2" });
        Assert.Equal(2, ParallelismOf(graph, "double"));
        Assert.Equal(1, ParallelismOf(graph, "numbers"));
    }

    [Fact]
    public void The_override_becomes_the_default_and_the_declared_parameter_while_explicit_settings_stay()
    {
        var job = new Numbers(declaresParallelism: true);
        var graph = job.BuildGraph(new Dictionary<string, string>(), parallelism: 3);
        Assert.Equal(3, job.SeenParameter);
        Assert.Equal(3, ParallelismOf(graph, "double"));
        Assert.Equal(1, ParallelismOf(graph, "numbers"));
        Assert.Equal("3", graph.Parameters["parallelism"]);
    }

    [Fact]
    public void A_job_without_the_parameter_still_gets_the_default()
    {
        var graph = new Numbers(declaresParallelism: false).BuildGraph(new Dictionary<string, string>(), parallelism: 4);
        Assert.Equal(4, ParallelismOf(graph, "double"));
    }

    [Fact]
    public void An_override_that_agrees_with_the_parameter_is_accepted_and_one_that_conflicts_is_refused_naming_both()
    {
        var job = new Numbers(declaresParallelism: true);
        Assert.Equal(2, ParallelismOf(job.BuildGraph(new Dictionary<string, string> { ["parallelism"] = "2" }, parallelism: 2), "double"));
        var e = Assert.Throws<JobParameterException>(() => job.BuildGraph(new Dictionary<string, string> { ["parallelism"] = "2" }, parallelism: 3));
        Assert.Contains("parallelism 3", e.Message);
        Assert.Contains("parallelism=2", e.Message);
    }

    [Theory]
    [InlineData(0, "at least 1")]
    [InlineData(129, "max parallelism 128")]
    public void An_override_out_of_range_is_refused(int parallelism, string expected)
    {
        var e = Assert.Throws<JobParameterException>(() => new Numbers(declaresParallelism: false).BuildGraph(new Dictionary<string, string>(), parallelism));
        Assert.Contains(expected, e.Message);
    }
}
