using Microsoft.Extensions.DependencyInjection;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Edge.Consent;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Delivery;
using RecoFlow.Recommendations.Edge.Push;
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
        public PushMetrics PushMetrics => server.Services.GetRequiredService<PushMetrics>();

        /// <summary>
        /// A sink of the recommendation job's push candidates that notifies through this node: its VAPID keys, its
        /// feed's open WebSockets, its consent and its event publisher; <paramref name="itemTitle"/> names items in the notification.
        /// </summary>
        public PushSink PushSink(Func<string, string?>? itemTitle = null)
        {
            var s = server.Services;
            var options = s.GetRequiredService<RecommendationEdgeOptions>();
            return new PushSink(s.GetRequiredService<WebPushSender>(), s.GetRequiredService<PushDecision>(), s.GetRequiredService<IRecommendationFeed>(),
                s.GetRequiredService<ConsentRegistry>(), s.GetRequiredService<IEventPublisher>(), options.InteractionsTopic, s.GetRequiredService<PushMetrics>(),
                options.Push.MaxInFlight, itemTitle);
        }
    }
}
