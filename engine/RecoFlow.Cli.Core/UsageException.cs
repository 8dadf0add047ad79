namespace RecoFlow.Cli;

/// <summary>Bad usage: printed as one line, exit code 2, no stack trace.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
    public UsageException() { }
    public UsageException(string message, Exception inner) : base(message, inner) { }
}
