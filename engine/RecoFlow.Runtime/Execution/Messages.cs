using Akka.Actor;
using RecoFlow.Api.Connectors;
using RecoFlow.Runtime.Channels;

namespace RecoFlow.Runtime.Execution;

/// <summary>Identifies one task: a vertex and a subtask index.</summary>
public readonly record struct TaskId(int Vertex, int Subtask)
{
    public override string ToString() => $"{Vertex}.{Subtask}";
}

/// <summary>Wires a task: where each of its writers' channels go, where its input channels come from, what to read.</summary>
internal sealed record DeployTask(int Attempt, IReadOnlyList<IReadOnlyList<ChannelTarget>> WriterTargets, IReadOnlyList<ChannelSource> Inputs, IReadOnlyList<SourceSplit>? Splits);

internal sealed record TaskReady(TaskId Task);

internal sealed record StartTask;

internal sealed record TaskFinished(TaskId Task);

internal sealed record TaskFailed(TaskId Task, Exception Cause);

internal sealed record PollSource;

internal sealed record ProcessingTimerFired(Action<long> Callback, long Due);

/// <summary>Asks the job master to cancel the job.</summary>
internal sealed record CancelJob;
