using RecoFlow.Api;
using RecoFlow.Jobs.Ysb;

namespace RecoFlow.Jobs;

/// <summary>The jobs the CLI and the cluster know by name.</summary>
public static class BuiltInJobs
{
    public static IReadOnlyList<IJobDefinition> All { get; } = [new YsbJob(), .. Nexmark.NexmarkJobs.All, new Recommendations.RecommendationJob()];

    public static IJobDefinition? Find(string name) => All.FirstOrDefault(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase));
}
