namespace RecoFlow.Recommendations.Edge.Models;

/// <summary>One published model version of a recommendation job.</summary>
/// <param name="Status">active, kept or rolled_back.</param>
/// <param name="Metrics">Quality figures the trainer reports with the version (e.g. recall@10); may be empty.</param>
public sealed record ModelVersionView(string Job, long Version, DateTimeOffset PublishedAt, string Status, IReadOnlyDictionary<string, double> Metrics);

/// <summary>The model versions the dashboard lists (GET /api/models). The recommendation job provides them; until then there are none.</summary>
public interface IModelVersions
{
    IReadOnlyList<ModelVersionView> Versions { get; }
}

public sealed class NoModelVersions : IModelVersions
{
    public IReadOnlyList<ModelVersionView> Versions => [];
}

/// <summary>GET /api/models: the JSON the dashboard's "Model versions" panel reads.</summary>
internal static class ModelsEndpoint
{
    public static object Versions(IModelVersions models) => models.Versions.Select(v => new
    {
        job = v.Job,
        version = v.Version,
        published_at = v.PublishedAt,
        status = v.Status,
        metrics = v.Metrics,
    });
}
