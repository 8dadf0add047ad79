using Akka.Configuration;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Edge;
using RecoFlow.Server;

namespace RecoFlow.Cli;

/// <summary>
/// The modules <c>recoflow node</c> plugs into its web layer: the CLI is the composition root, and it wires the
/// recommendation product's edge into every node by default, so /collect, /consent and delivery are served as before.
/// </summary>
internal static class NodeModules
{
    /// <summary>The erasure and consent log of the nodes, in their shared state directory (see docs/http-api.md, POST /consent).</summary>
    public const string ErasureLogFile = "erasures.jsonl";

    public static IReadOnlyList<INodeModule> For(Config config, string stateDirectory) =>
    [
        // Opt-outs go to the erasure log in the shared state directory: every node follows it, so one holds cluster-wide and across restarts.
        new RecommendationEdgeModule(RecommendationEdgeOptions.From(config),
            new RecommendationEdgeServices { ErasureLog = new ErasureLog(Path.Combine(stateDirectory, ErasureLogFile)) }),
    ];
}
