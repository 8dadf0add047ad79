namespace RecoFlow.Connectors.Kafka.DevBroker;

/// <summary>Body of <c>recoflow dev-broker</c>: runs a <see cref="DevKafkaBroker"/> until cancelled.</summary>
public static class DevBrokerCommand
{
    /// <summary>
    /// Starts the broker, writes <c>bootstrap.servers=&lt;list&gt;</c> and <c>topics=&lt;name:partitions,...&gt;</c>
    /// (one line each) to <paramref name="output"/> (default: stdout), then waits for
    /// <paramref name="cancellationToken"/> and shuts the broker down. Returns the exit code (0).
    /// Start failures (port in use, bad options) propagate as exceptions.
    /// </summary>
    public static async Task<int> RunAsync(DevBrokerOptions options, CancellationToken cancellationToken,
        TextWriter? output = null)
    {
        output ??= Console.Out;
        await using var broker = DevKafkaBroker.Start(options);
        await output.WriteLineAsync($"bootstrap.servers={broker.BootstrapServers}").ConfigureAwait(false);
        var topics = string.Join(",", broker.Topics.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}:{t.Value}"));
        await output.WriteLineAsync($"topics={topics}").ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);

        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Normal shutdown.
        }

        return 0;
    }
}
