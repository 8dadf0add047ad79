using RecoFlow.ControlPlane;

namespace RecoFlow.Server;

/// <summary>
/// What a host plugs into its node's HTTP layer. Only <see cref="Jobs"/> is required; the rest default to a single
/// node without job operations and without modules.
/// </summary>
public sealed class NodeServices
{
    public required IJobRegistry Jobs { get; init; }
    public IClusterView? Cluster { get; init; }

    /// <summary>Submitting and operating jobs over HTTP (POST /api/jobs, savepoint, stop); null leaves those endpoints out.</summary>
    public IJobOperations? Operations { get; init; }

    /// <summary>Asks the job manager whether it answers, for <c>/health/ready</c>; null: no job manager to ask (a node alone).</summary>
    public IJobManagerProbe? JobManager { get; init; }

    /// <summary>
    /// Where ASP.NET Core's own log lines go (for example the command's Serilog pipeline, so they land beside the
    /// engine's); null: a console logger on standard error (standard output is the command's).
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerProvider? Logging { get; init; }

    /// <summary>Application endpoints served beside the engine's (e.g. the recommendation edge), in order.</summary>
    public IReadOnlyList<INodeModule> Modules { get; init; } = [];
}
