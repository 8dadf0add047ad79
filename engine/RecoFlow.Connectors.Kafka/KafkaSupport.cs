using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Where the Kafka connectors write their operational log lines (waiting for brokers, errors, dead letters): through
/// Microsoft.Extensions.Logging, category <see cref="Category"/>, once the host sets <see cref="LoggerFactory"/> (a
/// <c>recoflow</c> command sets its Serilog pipeline, so the lines land with the engine's, in its files too); until
/// then, to standard error. A connector's <c>Log</c> option overrides both.
/// </summary>
public static class KafkaLog
{
    public const string Category = "RecoFlow.Connectors.Kafka";

    private static volatile ILogger? _logger;

    /// <summary>The host's logger factory; null (the default) writes the lines to standard error.</summary>
    public static ILoggerFactory? LoggerFactory
    {
        get;
        set
        {
            field = value;
            _logger = value?.CreateLogger(Category);
        }
    }

    /// <summary>The default log: the host's logger (a line starting with "warning" or "error" at that level), else standard error.</summary>
    public static Action<string> Default { get; } = message =>
    {
        if (_logger is not { } logger)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [kafka] {message}");
            return;
        }
        var level = message.StartsWith("error", StringComparison.OrdinalIgnoreCase) ? LogLevel.Error
            : message.StartsWith("warning", StringComparison.OrdinalIgnoreCase) ? LogLevel.Warning
            : LogLevel.Information;
        logger.Log(level, "{Line}", message);
    };
}

/// <summary>Retries a blocking Kafka call with exponential backoff until it succeeds or a deadline passes.</summary>
internal static class KafkaRetry
{
    public static readonly TimeSpan InitialDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <paramref name="operation"/> until it returns; on a <see cref="KafkaException"/> that is not fatal (or a
    /// <see cref="KafkaRetryableStateException"/>) it logs what it waits for and retries after 100 ms, 200 ms, … up to 5 s
    /// between attempts, each wait spread by ±20 % at random. Throws a <see cref="TimeoutException"/> with the last error after <paramref name="maxWait"/>.
    /// </summary>
    public static TResult Run<TResult>(Func<TResult> operation, string waitingFor, TimeSpan maxWait, Action<string> log, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var delay = InitialDelay;
        for (var attempt = 1; ; attempt++)
        {
            Exception error;
            try
            {
                var result = operation();
                if (attempt > 1) log($"{waitingFor}: succeeded after {attempt} attempts ({clock.Elapsed.TotalSeconds:F1} s)");
                return result;
            }
            catch (KafkaException e) when (!e.Error.IsFatal)
            {
                error = e;
            }
            catch (KafkaRetryableStateException e)
            {
                error = e;
            }
            if (clock.Elapsed + delay > maxWait)
                throw new TimeoutException($"gave up after {clock.Elapsed.TotalSeconds:F1} s and {attempt} attempts: {waitingFor}: {error.Message}", error);
            // ±20 % at random, so the clients a broker outage stopped do not all retry at the same instant.
            var wait = TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + 0.4 * Random.Shared.NextDouble())));
            log($"waiting for Kafka: {waitingFor} (attempt {attempt} failed: {error.Message}; retrying in {wait.TotalMilliseconds:F0} ms)");
            if (cancellationToken.WaitHandle.WaitOne(wait)) cancellationToken.ThrowIfCancellationRequested();
            delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, delay.Ticks * 2));
        }
    }
}

/// <summary>A state that is expected to clear up by waiting (a topic that does not exist yet, a partition without a leader).</summary>
internal sealed class KafkaRetryableStateException : Exception
{
    public KafkaRetryableStateException(string message) : base(message) { }
    public KafkaRetryableStateException() { }
    public KafkaRetryableStateException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Logs at most one line per distinct message per interval (librdkafka repeats connection errors every reconnect).</summary>
internal sealed class ThrottledLog(Action<string> log, TimeSpan interval)
{
    private readonly Dictionary<string, long> _last = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Writes <paramref name="message"/> unless a message with the same <paramref name="key"/> (default: the message) was written within the interval.</summary>
    public void Write(string message, string? key = null)
    {
        var now = Stopwatch.GetTimestamp();
        key ??= message;
        lock (_gate)
        {
            if (_last.TryGetValue(key, out var at) && Stopwatch.GetElapsedTime(at, now) < interval) return;
            _last[key] = now;
            if (_last.Count > 1000) _last.Clear();
        }
        log(message);
    }
}
