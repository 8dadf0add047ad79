namespace RecoFlow.Api.Functions;

/// <summary>Something a function or operator holds cannot be copied for a parallel subtask (see <see cref="SubtaskCopy"/>); the message names it.</summary>
public sealed class SubtaskCopyException : Exception
{
    public SubtaskCopyException(string message) : base(message) { }
    public SubtaskCopyException() { }
    public SubtaskCopyException(string message, Exception inner) : base(message, inner) { }
}
