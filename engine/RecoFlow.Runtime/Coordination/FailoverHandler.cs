using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Coordination;

/// <summary>What to do about a failed attempt: restart after <see cref="RestartDelay"/>, or fail the job with <see cref="Failure"/>.</summary>
internal sealed record FailureHandlingResult(TimeSpan? RestartDelay, Exception? Failure)
{
    public bool CanRestart => RestartDelay is not null;
}

/// <summary>
/// Decides about failures of a job's attempts (Flink: ExecutionFailureHandler with a RestartBackoffTimeStrategy, for
/// a restart of the whole job): asks the <see cref="RestartStrategy"/>, counts restarts, and holds the restart back
/// until both the strategy's delay has passed and every task of the failed attempt has stopped (so that two attempts
/// never write at once).
/// </summary>
internal sealed class FailoverHandler
{
    private readonly RestartStrategy _strategy;
    private int _stillRunning;
    private bool _delayElapsed;

    /// <param name="strategy">A strategy of this run only (see <see cref="RestartStrategy.Fresh"/>): it keeps history.</param>
    public FailoverHandler(RestartStrategy strategy) => _strategy = strategy;

    public int Restarts { get; private set; }

    /// <summary>The attempt has been running since <paramref name="since"/> (lets a backoff reset).</summary>
    public void OnRunning(DateTime since) => _strategy.OnRunning(since);

    /// <summary>
    /// The current attempt failed at <paramref name="now"/> with <paramref name="runningTasks"/> tasks still to stop.
    /// When the strategy gives up, the failure names the number of restarts made before.
    /// </summary>
    public FailureHandlingResult OnFailure(Exception cause, DateTime now, int runningTasks)
    {
        var delay = _strategy.OnFailure(now);
        if (delay is null)
        {
            var failure = Restarts == 0 ? cause : new InvalidOperationException($"{cause.Message} (gave up after {Restarts} restarts: {_strategy.Describe()})", cause);
            return new FailureHandlingResult(null, failure);
        }
        Restarts++;
        _stillRunning = runningTasks;
        _delayElapsed = false;
        return new FailureHandlingResult(delay, null);
    }

    /// <summary>A task of the failed attempt stopped; true when the restart may go ahead now.</summary>
    public bool OnTaskStopped()
    {
        _stillRunning--;
        return ReadyToRestart;
    }

    /// <summary>The strategy's delay passed; true when the restart may go ahead now.</summary>
    public bool OnDelayElapsed()
    {
        _delayElapsed = true;
        return ReadyToRestart;
    }

    public bool ReadyToRestart => _stillRunning <= 0 && _delayElapsed;
}
