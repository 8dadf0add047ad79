using Akka.Actor;
using RecoFlow.Runtime.Coordination;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Runtime.Coordination;

/// <summary>The bookkeeping of one attempt: which sender is one of its tasks, and when all are ready, finished, committed.</summary>
public sealed class ExecutionAttemptTests
{
    private static readonly TaskId First = new(0, 0), Second = new(1, 0);

    private static ExecutionAttempt Attempt(out IActorRef first, out IActorRef second)
    {
        first = new NamedRef("first");
        second = new NamedRef("second");
        var attempt = new ExecutionAttempt(3);
        attempt.Tasks[First] = first;
        attempt.Tasks[Second] = second;
        return attempt;
    }

    [Fact]
    public void Only_the_attempts_own_task_counts_as_the_sender_for_its_id()
    {
        var attempt = Attempt(out var first, out var second);
        Assert.True(attempt.IsCurrent(first, First));
        Assert.False(attempt.IsCurrent(second, First));
        Assert.False(attempt.IsCurrent(first, new TaskId(9, 9)));
    }

    [Fact]
    public void Ready_finished_and_committed_complete_with_the_last_task()
    {
        var attempt = Attempt(out _, out _);
        Assert.False(attempt.OnReady());
        Assert.True(attempt.OnReady());

        Assert.False(attempt.OnFinished(new TaskFinished(First, 3, 1)));
        Assert.False(attempt.OnFinished(new TaskFinished(First, 3, 1)));
        Assert.True(attempt.OnFinished(new TaskFinished(Second, 3, 1)));

        Assert.False(attempt.OnCommitted(Second));
        Assert.False(attempt.OnCommitted(Second));
        Assert.True(attempt.OnCommitted(First));
    }
}
