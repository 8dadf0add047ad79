using System.Text;
using RecoFlow.ControlPlane;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Recommendations.Edge.Capture;
using RecoFlow.Recommendations.Edge.Push;

namespace RecoFlow.Server.Tests.Push;

/// <summary>A node with the recommendation edge, fixed VAPID keys, http push endpoints allowed (the local push service) and events kept in memory.</summary>
public sealed class PushNode : IAsyncDisposable
{
    public static readonly VapidKeys Keys = VapidKeys.Generate();
    public InMemoryEventPublisher Publisher { get; } = new();
    public NodeHttpServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public static async Task<PushNode> StartAsync(TimeSpan? minInterval = null)
    {
        var node = new PushNode();
        var options = new RecommendationEdgeOptions
        {
            PseudonymKey = Encoding.UTF8.GetBytes("push-pseudonym-key-0123456789"),
            Push = new WebPushOptions
            {
                VapidPublicKey = Keys.PublicKey, VapidPrivateKey = Keys.PrivateKey, VapidSubject = "mailto:ops@shop.example",
                AllowHttpEndpoints = true, MinInterval = minInterval ?? TimeSpan.FromMinutes(30),
            },
        };
        node.Server = await NodeHttpServer.StartAsync(new NodeServerOptions { NodeName = "push-node", Port = 0 },
            new NodeServices { Jobs = new LocalJobRegistry(), Modules = [new RecommendationEdgeModule(options, new RecommendationEdgeServices { Publisher = node.Publisher })] });
        node.Http = new HttpClient { BaseAddress = node.Server.Url };
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
