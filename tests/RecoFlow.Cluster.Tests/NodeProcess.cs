using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// A real <c>recoflow node</c> as a separate OS process (<c>dotnet recoflow.dll node ...</c>), started and waited
/// for until it prints its "node up:" line. Standard input stays open: when the test process dies, the node leaves.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;
    /// <summary>Reading standard output into the log: it ends after the process has exited and its last line is in.</summary>
    private readonly Task _drained;

    private NodeProcess(Process process, StringBuilder log, Task drained, int port, Uri http, string protocol)
    {
        _process = process;
        _log = log;
        _drained = drained;
        Port = port;
        Http = http;
        Protocol = protocol;
    }

    public int Port { get; }
    public Uri Http { get; }

    /// <summary><c>akka.tcp</c>, or <c>akka.ssl.tcp</c> for a node started with TLS.</summary>
    public string Protocol { get; }
    public string Address => $"{Protocol}://recoflow@127.0.0.1:{Port}";
    public bool HasExited => _process.HasExited;
    public int Pid => _process.Id;
    /// <summary>What the node printed; after <see cref="LeaveAsync"/> or <see cref="KillAsync"/> all of it, its last lines included.</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "recoflow.dll");

    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p ? p : "dotnet";

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts a node and waits for its "node up:" line. <paramref name="config"/> is passed as <c>--config</c>;
    /// <paramref name="workingDirectory"/> is where relative paths of that file resolve (default: the test's);
    /// <paramref name="protocol"/> is the transport the node's address names.
    /// </summary>
    public static async Task<NodeProcess> StartAsync(string stateDir, int port, int? seed, TimeSpan timeout,
        string? config = null, string? workingDirectory = null, string protocol = "akka.tcp")
    {
        var info = new ProcessStartInfo(Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.Environment["RECOFLOW_TOKEN"] = Cli.Token;
        var args = new List<string> { CliDll, "node", "--port", port.ToString(), "--http-port", "0", "--state-dir", stateDir, "--exit-on-stdin-eof" };
        if (config is not null) args.AddRange(["--config", config]);
        if (seed is { } s) args.AddRange(["--seed", $"127.0.0.1:{s}"]);
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(cts.Token);
                if (line is null)
                {
                    await process.WaitForExitAsync(cts.Token);
                    throw new InvalidOperationException($"node on port {port} exited with {process.ExitCode} before it was up:\n{log}");
                }
                lock (log) log.AppendLine(line);
                if (line.StartsWith("node up: ", StringComparison.Ordinal))
                {
                    var http = new Uri(line[(line.IndexOf(", ", StringComparison.Ordinal) + 2)..].Trim());
                    return new NodeProcess(process, log, DrainAsync(process, log), port, http, protocol);
                }
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node on port {port} was not up within {timeout}:\n{log}");
        }
    }

    private static async Task DrainAsync(Process p, StringBuilder log)
    {
        while (await p.StandardOutput.ReadLineAsync() is { } line)
            lock (log) log.AppendLine(line);
    }

    /// <summary>kill -9: the node gets no chance to leave the cluster.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
        await _drained.WaitAsync(cts.Token);
    }

    /// <summary>Closes standard input: the node leaves the cluster gracefully. Returns false when it had to be killed after <paramref name="timeout"/>.</summary>
    public async Task<bool> LeaveAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            await _drained.WaitAsync(TimeSpan.FromSeconds(30));
            return true;
        }
        _process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            // Exited is not enough for the log: its last lines ("node left") may still be on their way through the pipe.
            await _process.WaitForExitAsync(cts.Token);
            await _drained.WaitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await LeaveAsync(TimeSpan.FromSeconds(15));
        _process.Dispose();
    }
}

/// <summary>Runs the <c>recoflow</c> CLI as a process; returns its exit code, standard output and standard error.</summary>
public static class Cli
{
    /// <summary>The access token the test nodes require for writes (security stays on, as outside the demo).</summary>
    public const string Token = "cluster-test-token";

    public static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RunAsync(null, args);

    /// <summary>Runs the CLI with extra environment variables (for example RECOFLOW_CLUSTER).</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(NodeProcess.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["RECOFLOW_TOKEN"] = Token;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        info.ArgumentList.Add(NodeProcess.CliDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, (await stdout).Trim(), (await stderr).Trim());
    }
}
