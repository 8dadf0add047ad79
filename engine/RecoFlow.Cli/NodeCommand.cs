using System.CommandLine;
using System.Runtime.InteropServices;
using Akka.Configuration;
using RecoFlow.Cluster.Hosting;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Server;

namespace RecoFlow.Cli;

/// <summary>
/// <c>recoflow node</c>: runs one cluster node until Ctrl+C or SIGTERM, which make it leave the cluster gracefully.
/// Prints <c>node up: AKKA_ADDRESS, HTTP_URL</c> once it is Up and serving.
/// </summary>
public static class NodeCommand
{
    public static Command Create(TextWriter output)
    {
        var config = new Option<string?>("--config") { Description = "HOCON file with the node's settings (see cluster-config/); flags override it" };
        var port = new Option<int?>("--port") { Description = "Akka.Remote port of this node (default 4053)" };
        var seeds = new Option<string[]>("--seed") { Description = "seed node host:port (repeatable); none: the node seeds itself", Arity = ArgumentArity.ZeroOrMore };
        var httpPort = new Option<int?>("--http-port") { Description = "port of the dashboard and JSON API (default 8081; 0: any free one)" };
        var stateDir = new Option<string?>("--state-dir") { Description = "directory for the checkpoint store (SQLite by default) and the jobs' state; nodes that may run the same job share it" };
        var exitOnEof = new Option<bool>("--exit-on-stdin-eof") { Description = "leave the cluster when standard input closes (for supervisors and tests that start nodes as child processes)" };
        var cmd = new Command("node", "run a cluster node: job manager (on the oldest node), runtime, HTTP API; Ctrl+C leaves the cluster") { config, port, seeds, httpPort, stateDir, exitOnEof };
        cmd.SetAction(async (r, ct) =>
        {
            var file = HoconFiles.Read(r.GetValue(config));
            NodeSettings settings;
            try { settings = NodeSettings.Resolve(file, r.GetValue(port), r.GetValue(seeds), r.GetValue(httpPort), r.GetValue(stateDir)); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            // Nodes of one cluster may share a state directory (each writes its own files, named after its address);
            // a `recoflow run` or a node of another cluster on it is refused (exit 2, naming the holder's pid).
            // Bootstrapped nodes of one service (pods of a StatefulSet on a shared volume) name the service instead of seeds.
            using var stateLock = StateDirectoryLock.Acquire(settings.StateDirectory, StateDirectoryHolder.ClusterNode(settings.Address,
                settings.Bootstrap.Enabled ? [settings.Bootstrap.LockName]
                : settings.Seeds.Count > 0 ? settings.Seeds : [$"{settings.Hostname}:{settings.Port}"]));
            using var logging = CliLogging.Start(settings.Config, settings.StateDirectory, $"node-{settings.Hostname}-{settings.Port}",
                new Dictionary<string, string> { ["Node"] = settings.Address });
            using var kafkaLog = KafkaLogging.To(logging);
            settings = settings with { Config = logging.AkkaConfig.WithFallback(settings.Config) };

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            if (r.GetValue(exitOnEof))
                _ = Task.Run(async () =>
                {
                    while (await Console.In.ReadLineAsync(stop.Token) is not null) { }
                    await stop.CancelAsync();
                }, CancellationToken.None);
            ClusterNode started;
            try { started = await ClusterNode.StartAsync(settings, new CliJobCatalog(), settings.JoinTimeout, stop.Token); }
            catch (Exception e) when (e is TimeoutException or NodeStartException)
            {
                Console.Error.WriteLine($"recoflow: {e.Message}");
                return 1;
            }
            catch (NodeRefusedException e)
            {
                throw new UsageException(e.Message);
            }
            await using var node = started;
            var httpOptions = NodeServerOptions.From(settings.Config) with { NodeName = settings.Address };
            var services = new NodeServices { Jobs = node.Jobs, Operations = node.Jobs, JobManager = node.Jobs, Cluster = node.ClusterView, Logging = logging.LoggerProvider(), Modules = NodeModules.For(settings.Config, settings.StateDirectory) };
            await using var http = await NodeHttpServer.StartAsync(httpOptions, services, stop.Token);
            output.WriteLine($"node up: {settings.Address}, {http.Url}");
            if (httpOptions.TokenGenerated)
                output.WriteLine($"admin token for job writes (generated; set RECOFLOW_TOKEN or recoflow.http.token to choose one): {httpOptions.Token}");
            if (httpOptions.CollectKeyGenerated)
                output.WriteLine($"collect key for /collect and /consent, publishable (generated; set RECOFLOW_COLLECT_KEY or recoflow.http.collect-key to choose one): {httpOptions.CollectKey}");
            output.Flush();
            try { await node.Terminated.WaitAsync(stop.Token); }
            catch (OperationCanceledException) { }
            if (node.Terminated.IsCompleted)
            {
                Console.Error.WriteLine("recoflow: this node was removed from the cluster (downed); exiting");
                return 1;
            }
            output.WriteLine("node leaving the cluster");
            await http.DisposeAsync();
            await node.LeaveAsync();
            output.WriteLine("node left");
            return 0;
        });
        return cmd;
    }
}

/// <summary>The jobs a node can run: the built-in ones by name, and job classes from submitted assemblies.</summary>
internal sealed class CliJobCatalog : IJobCatalog
{
    public LoadedJob Load(JobSubmission submission)
    {
        if (submission.Assembly is { } bytes)
            return JobAssemblyLoader.Load(bytes, submission.JobClass ?? throw new JobSubmissionException("an assembly needs a job class"), submission.Parameters, submission.Parallelism, submission.StateBackend);
        try
        {
            return new LoadedJob(JobRunner.BuildGraph(JobRunner.FindJob(submission.Job), submission.Parameters, submission.Parallelism, submission.StateBackend));
        }
        catch (UsageException e)
        {
            throw new JobSubmissionException(e.Message, e);
        }
    }
}
