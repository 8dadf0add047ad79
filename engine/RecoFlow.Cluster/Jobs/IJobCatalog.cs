using RecoFlow.Api.Graph;

namespace RecoFlow.Cluster.Jobs;

/// <summary>Turns a submission into a validated job graph: built-in jobs by name, or a job class from a submitted assembly.</summary>
public interface IJobCatalog
{
    /// <summary>
    /// Builds and validates the job's graph. Throws <see cref="JobSubmissionException"/> naming the cause (unknown job,
    /// invalid parameter, graph validation) when the submission cannot run. Dispose the result when the job has ended:
    /// a job from an assembly then unloads it.
    /// </summary>
    LoadedJob Load(JobSubmission submission);
}

/// <summary>A job's graph and what keeps its code loaded (<see cref="JobAssemblyLoader"/>'s load context), if anything.</summary>
public sealed class LoadedJob(JobGraph graph, IDisposable? owner = null, System.Reflection.Assembly? code = null) : IDisposable
{
    public JobGraph Graph { get; } = graph;

    /// <summary>The submitted assembly the job came from; null for a built-in job.</summary>
    public System.Reflection.Assembly? Code { get; } = code;

    public void Dispose() => owner?.Dispose();
}

/// <summary>A submission that cannot run; the message names the cause and is shown to the submitter as is.</summary>
public sealed class JobSubmissionException : Exception
{
    public JobSubmissionException(string message) : base(message) { }
    public JobSubmissionException(string message, Exception inner) : base(message, inner) { }
    public JobSubmissionException() { }
}
