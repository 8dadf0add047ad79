using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Delivery;
using RecoFlow.Recommendations.Edge.Models;
using RecoFlow.Recommendations.Edge.Shop;

namespace RecoFlow.Recommendations.Edge;

/// <summary>
/// What a host plugs into the recommendation edge. Everything is optional: the defaults are in-memory event capture and
/// recommendation feed, no IP geolocation, no model versions, consent in memory only, and no shop page.
/// </summary>
public sealed class RecommendationEdgeServices
{
    public IEventPublisher? Publisher { get; init; }
    public IRecommendationFeed? Feed { get; init; }
    public IModelVersions? Models { get; init; }
    public IIpRegionLookup? IpRegions { get; init; }

    /// <summary>Where opt-outs are made durable before the job hears of them; null keeps them in memory only.</summary>
    public ErasureLog? ErasureLog { get; init; }

    /// <summary>A catalogue to serve the demo shop page (/shop) with; null: no shop.</summary>
    public IShopCatalog? Shop { get; init; }
}
