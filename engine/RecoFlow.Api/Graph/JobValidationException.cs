namespace RecoFlow.Api.Graph;

/// <summary>A job definition that cannot run; <see cref="Problems"/> lists every problem found, each naming its operator.</summary>
public sealed class JobValidationException : Exception
{
    public JobValidationException(string jobName, IReadOnlyList<string> problems)
        : base($"job '{jobName}' is invalid: " + string.Join("; ", problems))
    {
        Problems = problems;
    }

    public JobValidationException() : this("?", []) { }
    public JobValidationException(string message) : base(message) { Problems = [message]; }
    public JobValidationException(string message, Exception inner) : base(message, inner) { Problems = [message]; }

    public IReadOnlyList<string> Problems { get; } = [];
}
