namespace RecoFlow.ControlPlane;

/// <summary>Asks the cluster's job manager (a cluster singleton) whether it answers, for a node's readiness.</summary>
public interface IJobManagerProbe
{
    /// <summary>True when the job manager answered within the probe's ask timeout.</summary>
    Task<bool> JobManagerAnswersAsync(CancellationToken cancellationToken);
}
