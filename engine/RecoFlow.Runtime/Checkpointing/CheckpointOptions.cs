namespace RecoFlow.Runtime.Checkpointing;

/// <summary>How a job takes checkpoints (Flink: CheckpointConfig).</summary>
public sealed record CheckpointOptions
{
    /// <summary>Time between the triggers of two checkpoints.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A checkpoint not complete after this long fails, and the job restarts from the last completed one.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Least time between the completion of one checkpoint and the trigger of the next.</summary>
    public TimeSpan MinPause { get; init; } = TimeSpan.Zero;

    /// <summary>Completed checkpoints kept in the store; older ones are deleted.</summary>
    public int Retained { get; init; } = 3;

    /// <summary>
    /// Incremental checkpoints (the default): a task writes the keyed state that changed since its previous checkpoint
    /// and refers to that one's row; false writes the whole state every time.
    /// </summary>
    public bool Incremental { get; init; } = true;

    /// <summary>
    /// With <see cref="Incremental"/>: a task writes its whole state at least every this many checkpoints (and sooner
    /// when the changes written since its last full one outgrow it), so a restore reads a bounded chain.
    /// </summary>
    public int FullEvery { get; init; } = 20;

    public void Validate()
    {
        if (FullEvery < 1) throw new ArgumentException("full checkpoints must come at least every 1 checkpoint (full-every >= 1)");
        if (Interval <= TimeSpan.Zero) throw new ArgumentException("checkpoint interval must be positive");
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException("checkpoint timeout must be positive");
        if (MinPause < TimeSpan.Zero) throw new ArgumentException("checkpoint minimum pause must not be negative");
        if (Retained < 1) throw new ArgumentException("at least one checkpoint must be retained");
    }
}

/// <summary>
/// Decides whether and when a failed job restarts (Flink: RestartStrategy). Stateful: one instance per job run.
/// </summary>
public abstract class RestartStrategy
{
    /// <summary>The job failed at <paramref name="now"/>: the delay before restarting, or null to give up.</summary>
    public abstract TimeSpan? OnFailure(DateTime now);

    /// <summary>The job has been running since <paramref name="since"/> (used to reset backoff).</summary>
    public virtual void OnRunning(DateTime since) { }

    public abstract string Describe();

    /// <summary>A fresh copy with no history, for a new job run.</summary>
    public abstract RestartStrategy Fresh();

    public static RestartStrategy None { get; } = new NoRestart();

    public static RestartStrategy FixedDelay(int attempts, TimeSpan delay) => new FixedDelayRestart(attempts, delay);

    /// <summary>
    /// Delays of <paramref name="initial"/>, times <paramref name="multiplier"/> after each failure, up to
    /// <paramref name="max"/>; each one spread at random by ±<paramref name="jitter"/> of itself (Flink's jitter factor,
    /// 0.1 by default), so the jobs a shared outage failed do not all restart at the same instant.
    /// </summary>
    public static RestartStrategy ExponentialBackoff(TimeSpan initial, TimeSpan max, double multiplier = 2, TimeSpan? resetAfter = null, int maxAttempts = int.MaxValue, double jitter = 0.1)
    {
        if (jitter is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(jitter), "jitter must be within 0..1");
        return new ExponentialBackoffRestart(initial, max, multiplier, resetAfter ?? TimeSpan.FromMinutes(1), maxAttempts, jitter);
    }

    public static RestartStrategy FailureRate(int maxFailures, TimeSpan interval, TimeSpan delay) => new FailureRateRestart(maxFailures, interval, delay);

    /// <summary>
    /// Parses <c>none</c>, <c>fixed-delay:ATTEMPTS:DELAY</c>, <c>exponential:INITIAL:MAX[:JITTER]</c> or
    /// <c>failure-rate:MAX_FAILURES:INTERVAL:DELAY</c> (durations like <c>500ms</c>, <c>2s</c>, <c>1m</c>).
    /// </summary>
    public static RestartStrategy Parse(string text)
    {
        var parts = text.Split(':');
        try
        {
            return parts[0] switch
            {
                "none" when parts.Length == 1 => None,
                "fixed-delay" when parts.Length == 3 => FixedDelay(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), Durations.Parse(parts[2])),
                "exponential" when parts.Length == 3 => ExponentialBackoff(Durations.Parse(parts[1]), Durations.Parse(parts[2])),
                "exponential" when parts.Length == 4 => ExponentialBackoff(Durations.Parse(parts[1]), Durations.Parse(parts[2]),
                    jitter: double.Parse(parts[3], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)),
                "failure-rate" when parts.Length == 4 => FailureRate(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), Durations.Parse(parts[2]), Durations.Parse(parts[3])),
                _ => throw new FormatException(),
            };
        }
        catch (FormatException)
        {
            throw new ArgumentException($"restart strategy '{text}' is not one of none, fixed-delay:ATTEMPTS:DELAY, exponential:INITIAL:MAX[:JITTER], failure-rate:MAX_FAILURES:INTERVAL:DELAY");
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"restart strategy '{text}': {e.Message}", e);
        }
    }

    private sealed class NoRestart : RestartStrategy
    {
        public override TimeSpan? OnFailure(DateTime now) => null;
        public override string Describe() => "no restarts";
        public override RestartStrategy Fresh() => this;
    }

    private sealed class FixedDelayRestart(int attempts, TimeSpan delay) : RestartStrategy
    {
        private int _failures;
        public override TimeSpan? OnFailure(DateTime now) => ++_failures > attempts ? null : delay;
        public override string Describe() => $"fixed delay {delay.TotalMilliseconds:0} ms, {attempts} attempts";
        public override RestartStrategy Fresh() => new FixedDelayRestart(attempts, delay);
    }

    private sealed class ExponentialBackoffRestart(TimeSpan initialDelay, TimeSpan max, double multiplier, TimeSpan resetAfter, int maxAttempts, double jitter) : RestartStrategy
    {
        private readonly TimeSpan _initial = initialDelay;
        private TimeSpan _next = initialDelay;
        private int _attempts;

        public override TimeSpan? OnFailure(DateTime now)
        {
            if (++_attempts > maxAttempts) return null;
            var d = _next;
            _next = TimeSpan.FromTicks(Math.Min(max.Ticks, (long)(_next.Ticks * multiplier)));
            var spread = 1 + jitter * (2 * Random.Shared.NextDouble() - 1);
            return TimeSpan.FromTicks(Math.Min(max.Ticks, (long)(d.Ticks * spread)));
        }

        public override void OnRunning(DateTime since)
        {
            if (DateTime.UtcNow - since >= resetAfter) { _next = _initial; _attempts = 0; }
        }

        public override string Describe() => $"exponential backoff {_initial.TotalMilliseconds:0} ms to {max.TotalMilliseconds:0} ms" + (jitter > 0 ? $", jitter {jitter:0.##}" : "");
        public override RestartStrategy Fresh() => new ExponentialBackoffRestart(_initial, max, multiplier, resetAfter, maxAttempts, jitter);
    }

    private sealed class FailureRateRestart(int maxFailures, TimeSpan interval, TimeSpan delay) : RestartStrategy
    {
        private readonly Queue<DateTime> _failures = new();

        public override TimeSpan? OnFailure(DateTime now)
        {
            _failures.Enqueue(now);
            while (_failures.Count > 0 && now - _failures.Peek() > interval) _failures.Dequeue();
            return _failures.Count > maxFailures ? null : delay;
        }

        public override string Describe() => $"failure rate: at most {maxFailures} failures per {interval.TotalSeconds:0.#} s, delay {delay.TotalMilliseconds:0} ms";
        public override RestartStrategy Fresh() => new FailureRateRestart(maxFailures, interval, delay);
    }
}

/// <summary>Parses durations as written on command lines: <c>250ms</c>, <c>1s</c>, <c>2m</c>, <c>1h</c>.</summary>
public static class Durations
{
    public static TimeSpan Parse(string text)
    {
        var t = text.Trim();
        (string Suffix, double Ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
            if (t.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(t[..^suffix.Length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 0)
                return TimeSpan.FromMilliseconds(v * ms);
        throw new FormatException($"'{text}' is not a duration (examples: 250ms, 1s, 2m)");
    }
}
