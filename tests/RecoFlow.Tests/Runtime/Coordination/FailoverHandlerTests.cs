using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Coordination;

namespace RecoFlow.Tests.Runtime.Coordination;

/// <summary>The failover decisions driven directly (Flink: ExecutionFailureHandlerTest), with times given, not waited for.</summary>
public sealed class FailoverHandlerTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_failure_restarts_after_the_delay_once_every_task_of_the_attempt_stopped()
    {
        var handler = new FailoverHandler(RestartStrategy.FixedDelay(3, TimeSpan.FromSeconds(2)));
        var result = handler.OnFailure(new IOException("boom"), Now, runningTasks: 2);
        Assert.True(result.CanRestart);
        Assert.Equal(TimeSpan.FromSeconds(2), result.RestartDelay);
        Assert.Null(result.Failure);
        Assert.Equal(1, handler.Restarts);

        Assert.False(handler.OnDelayElapsed());
        Assert.False(handler.OnTaskStopped());
        Assert.True(handler.OnTaskStopped());
    }

    [Fact]
    public void The_restart_waits_for_the_delay_even_when_the_tasks_are_gone()
    {
        var handler = new FailoverHandler(RestartStrategy.FixedDelay(3, TimeSpan.FromSeconds(2)));
        handler.OnFailure(new IOException("boom"), Now, runningTasks: 1);
        Assert.False(handler.OnTaskStopped());
        Assert.False(handler.ReadyToRestart);
        Assert.True(handler.OnDelayElapsed());

        // A second failure starts over: its delay has not passed yet.
        handler.OnFailure(new IOException("again"), Now, runningTasks: 0);
        Assert.Equal(2, handler.Restarts);
        Assert.False(handler.ReadyToRestart);
        Assert.True(handler.OnDelayElapsed());
    }

    [Fact]
    public void When_the_strategy_gives_up_the_failure_names_the_restarts_made()
    {
        var handler = new FailoverHandler(RestartStrategy.FixedDelay(1, TimeSpan.FromSeconds(2)));
        Assert.True(handler.OnFailure(new IOException("first"), Now, 1).CanRestart);
        var cause = new IOException("second");
        var result = handler.OnFailure(cause, Now, 1);
        Assert.False(result.CanRestart);
        Assert.Equal(1, handler.Restarts);
        var failure = Assert.IsType<InvalidOperationException>(result.Failure);
        Assert.Equal("second (gave up after 1 restarts: fixed delay 2000 ms, 1 attempts)", failure.Message);
        Assert.Same(cause, failure.InnerException);
    }

    [Fact]
    public void Without_restarts_the_job_fails_with_the_cause_itself()
    {
        var handler = new FailoverHandler(RestartStrategy.None);
        var cause = new IOException("boom");
        var result = handler.OnFailure(cause, Now, 4);
        Assert.False(result.CanRestart);
        Assert.Same(cause, result.Failure);
        Assert.Equal(0, handler.Restarts);
    }

    [Fact]
    public void A_failure_rate_strategy_sees_the_times_it_is_given()
    {
        var handler = new FailoverHandler(RestartStrategy.FailureRate(1, TimeSpan.FromMinutes(1), TimeSpan.Zero));
        Assert.True(handler.OnFailure(new IOException("1"), Now, 0).CanRestart);
        Assert.True(handler.OnFailure(new IOException("2"), Now.AddMinutes(2), 0).CanRestart);
        Assert.False(handler.OnFailure(new IOException("3"), Now.AddMinutes(2.5), 0).CanRestart);
    }
}
