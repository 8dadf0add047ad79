namespace RecoFlow.Cli;

/// <summary>The cluster did not answer (or failed): exit code 1, one line.</summary>
public sealed class ClusterUnreachableException : Exception
{
    public ClusterUnreachableException(string message) : base(message) { }
    public ClusterUnreachableException() { }
    public ClusterUnreachableException(string message, Exception inner) : base(message, inner) { }
}
