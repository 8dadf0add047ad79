using System.Diagnostics;
using System.Text;

namespace RecoFlow.Kafka.Tests;

/// <summary>
/// Runs tests/RecoFlow.DevBrokerHost as a separate OS process (<c>dotnet RecoFlow.DevBrokerHost.dll</c>)
/// and waits for its "READY &lt;bootstrap&gt;" line. Dispose kills the whole process tree.
/// </summary>
public sealed class DevBrokerHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private DevBrokerHostProcess(Process process, StringBuilder stderr, string bootstrapServers)
    {
        _process = process;
        _stderr = stderr;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public static async Task<DevBrokerHostProcess> StartAsync(int port, int brokers, IEnumerable<string> topics, TimeSpan timeout)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "RecoFlow.DevBrokerHost.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing (the test project references RecoFlow.DevBrokerHost).");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";

        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // closed when this test process dies; the host then exits
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--port", port.ToString(), "--brokers", brokers.ToString(), "--exit-on-stdin-eof" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var topic in topics)
        {
            info.ArgumentList.Add("--topic");
            info.ArgumentList.Add(topic);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        try
        {
            using var cts = new CancellationTokenSource(timeout);
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(cts.Token);
                if (line is null)
                {
                    await process.WaitForExitAsync(cts.Token);
                    throw new InvalidOperationException(
                        $"DevBrokerHost exited with code {process.ExitCode} before READY. stderr:\n{Snapshot(stderr)}");
                }

                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    return new DevBrokerHostProcess(process, stderr, line["READY ".Length..].Trim());
                }
            }
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw new TimeoutException($"DevBrokerHost printed no READY line within {timeout}. stderr:\n{Snapshot(stderr)}");
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>Kills the process tree and waits for it to exit.</summary>
    public async Task KillAsync()
    {
        Kill(_process);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    public string StandardError => Snapshot(_stderr);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string Snapshot(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }
}
