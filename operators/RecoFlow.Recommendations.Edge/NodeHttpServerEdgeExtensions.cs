using Microsoft.Extensions.DependencyInjection;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Edge.Consent;
using RecoFlow.Recommendations.Edge.Delivery;
using RecoFlow.Server;

namespace RecoFlow.Recommendations.Edge;

/// <summary>The recommendation edge's services of a node started with <see cref="RecommendationEdgeModule"/>.</summary>
public static class NodeHttpServerEdgeExtensions
{
    extension(NodeHttpServer server)
    {
        public IRecommendationFeed Feed => server.Services.GetRequiredService<IRecommendationFeed>();
        public Pseudonymizer Pseudonymizer => server.Services.GetRequiredService<Pseudonymizer>();
        public ConsentRegistry Consent => server.Services.GetRequiredService<ConsentRegistry>();
        public PopularItems Popular => server.Services.GetRequiredService<PopularItems>();
    }
}
