using RecoFlow.Operators.Privacy;
using RecoFlow.Server.Api;
using RecoFlow.Server.Capture;
using RecoFlow.Server.Cluster;
using RecoFlow.Server.Delivery;
using RecoFlow.Server.Jobs;

namespace RecoFlow.Server;

/// <summary>
/// What a host plugs into its node's HTTP layer. Only <see cref="Jobs"/> is required; the rest default to a single
/// node with in-memory event capture and recommendation feed, no IP geolocation and no model versions.
/// </summary>
public sealed class NodeServices
{
    public required IJobRegistry Jobs { get; init; }
    public IClusterView? Cluster { get; init; }
    public IEventPublisher? Publisher { get; init; }
    public IRecommendationFeed? Feed { get; init; }
    public IModelVersions? Models { get; init; }
    public IIpRegionLookup? IpRegions { get; init; }

    /// <summary>Where opt-outs are made durable before the job hears of them; null keeps them in memory only.</summary>
    public ErasureLog? ErasureLog { get; init; }

    /// <summary>A catalogue to serve the demo shop page (/shop) with; null: no shop.</summary>
    public IShopCatalog? Shop { get; init; }

    /// <summary>Submitting and operating jobs over HTTP (POST /api/jobs, savepoint, stop); null leaves those endpoints out.</summary>
    public IJobOperations? Operations { get; init; }
}

/// <summary>The items the demo shop page shows: JSON <c>{"categories":[...],"items":[{"id","title","category"}]}</c>.</summary>
public interface IShopCatalog
{
    string Json { get; }
}
