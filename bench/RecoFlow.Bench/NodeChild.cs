using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RecoFlow.Bench;

/// <summary>A <c>recoflow node</c> child process, waited for until it prints <c>node up: ADDRESS, URL</c>.</summary>
internal sealed class NodeChild : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private NodeChild(Process process, int port)
    {
        _process = process;
        Address = $"akka.tcp://recoflow@127.0.0.1:{port}";
    }

    public string Address { get; }
    public Uri Http { get; private set; } = null!;
    public string Log { get { lock (_log) return _log.ToString(); } }
    public int Pid => _process.Id;

    /// <param name="cli">A published <c>recoflow.dll</c> to run instead of the CLI this bench references (<see cref="SelfProcess.Recoflow"/>).</param>
    public static async Task<NodeChild> StartAsync(string stateDir, int port, int? seed, string token, IReadOnlyDictionary<string, string>? environment, string? config, CancellationToken ct, string? cli = null)
    {
        List<string> args = ["node", "--port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0", "--state-dir", stateDir, "--exit-on-stdin-eof"];
        if (config is not null) args.AddRange(["--config", config]);
        if (seed is { } s) args.AddRange(["--seed", $"127.0.0.1:{s.ToString(CultureInfo.InvariantCulture)}"]);
        var info = SelfProcess.Recoflow(args, cli);
        info.RedirectStandardInput = true;
        info.Environment["RECOFLOW_TOKEN"] = token;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var node = new NodeChild(Process.Start(info) ?? throw new InvalidOperationException("could not start recoflow node"), port);
        var up = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (await node._process.StandardError.ReadLineAsync() is { } line)
                lock (node._log) node._log.AppendLine(line);
        }, CancellationToken.None);
        _ = Task.Run(async () =>
        {
            while (await node._process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (node._log) node._log.AppendLine(line);
                if (line.StartsWith("node up: ", StringComparison.Ordinal))
                    up.TrySetResult(new Uri(line[(line.IndexOf(", ", StringComparison.Ordinal) + 2)..].Trim()));
            }
            up.TrySetException(new InvalidOperationException($"node on port {port} exited before it was up:\n{node.Log}"));
        }, CancellationToken.None);
        try
        {
            node.Http = await up.Task.WaitAsync(TimeSpan.FromMinutes(1), ct);
            return node;
        }
        catch
        {
            node.Kill();
            node.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL: the node gets no chance to leave the cluster.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { } // already exited
    }

    /// <summary>End of standard input: a node started with <c>--exit-on-stdin-eof</c> leaves the cluster and exits.</summary>
    public void CloseInput()
    {
        try { _process.StandardInput.Close(); }
        catch (IOException) { } // already gone
    }

    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    public void Dispose() => _process.Dispose();
}
