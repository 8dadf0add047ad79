using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace RecoFlow.Server;

/// <summary>
/// A part of a node's HTTP layer that the engine does not own: an application's endpoints and the services behind them
/// (the recommendation product's capture, consent and delivery are one). The host that starts the node lists its
/// modules in <see cref="NodeServices.Modules"/>; the node registers each module's services after its own (so a
/// module can use <see cref="Metrics.NodeMetrics"/>, <see cref="NodeServerOptions"/> and the access-token filter) and
/// maps its endpoints after the engine's.
/// </summary>
public interface INodeModule
{
    /// <summary>Registers the module's services. Rate-limiter and CORS policies may be added here: the node applies both middlewares.</summary>
    void AddServices(IServiceCollection services, NodeServerOptions options);

    /// <summary>Maps the module's endpoints.</summary>
    void MapEndpoints(WebApplication app);
}
