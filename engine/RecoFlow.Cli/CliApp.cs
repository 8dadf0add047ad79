using System.CommandLine;
using RecoFlow.Recommendations.Cli;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cli;

/// <summary>The <c>recoflow</c> command line. Bad usage prints one line and exits with 2.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null)
    {
        var output = stdout ?? Console.Out;
        var root = new RootCommand("RecoFlow: a streaming dataflow engine on Akka.NET, and a real-time recommender running on it.");
        root.Subcommands.Add(RunCommand(output));
        root.Subcommands.Add(CheckpointsCommand(output));
        root.Subcommands.Add(JobsCommand(output));
        root.Subcommands.Add(ExplainCommand(output));
        root.Subcommands.Add(GenerateCommand(output));
        root.Subcommands.Add(DemoCommand.Create(output));
        root.Subcommands.Add(BenchEntry.Create(output));
        root.Subcommands.Add(EvaluateCommand.Create(output));
        root.Subcommands.Add(ModelsCommand.Create(output));
        root.Subcommands.Add(GeoCommand.Create(output));
        foreach (var c in KafkaCommands.Create(output)) root.Subcommands.Add(c);
        root.Subcommands.Add(NodeCommand.Create(output));
        foreach (var c in ClusterCommands.Create(output)) root.Subcommands.Add(c);
        root.Subcommands.Add(DevCertCommand.Create(output));
        root.Subcommands.Add(UserTokenCommand.Create(output));

        return await ProgramInvocation.RunAsync(root, args, "recoflow");
    }

    private static Option<string[]> ParamOption() => new("--param", "-P")
    {
        Description = "job parameter key=value (repeatable)",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static Command RunCommand(TextWriter output)
    {
        var job = new Argument<string>("job") { Description = "built-in job name (see 'recoflow jobs'); or, with --job-class, a .dll built against RecoFlow.Api, the folder 'dotnet publish' wrote for the job's project, or a zip of it" };
        var jobClass = new Option<string?>("--job-class") { Description = "with an assembly, a published folder or a zip: full name of its IJobDefinition class" };
        var param = ParamOption();
        var parallelism = JobRunner.ParallelismOption();
        var stateBackend = JobRunner.StateBackendOption();
        var deadLetters = new Option<string?>("--dead-letters") { Description = "append dead letters to this JSON Lines file" };
        var stateDir = new Option<string?>("--state-dir") { Description = "directory for the job's checkpoints and savepoints; checkpointing is on with it, and a run with the same directory resumes from the latest completed checkpoint" };
        var interval = new Option<string?>("--checkpoint-interval") { Description = "time between checkpoints (default 1s; needs --state-dir)" };
        var config = new Option<string?>("--config") { Description = "HOCON file overriding the runtime's configuration (for example cluster-config/persistence-postgres.conf for a PostgreSQL checkpoint store)" };
        var restart = new Option<string?>("--restart-strategy") { Description = "none | fixed-delay:ATTEMPTS:DELAY | exponential:INITIAL:MAX[:JITTER] | failure-rate:MAX:INTERVAL:DELAY (default with checkpoints: exponential:200ms:30s, jitter 0.1)" };
        var savepointOnStop = new Option<bool>("--savepoint-on-stop") { Description = "on Ctrl+C, take a savepoint into STATE_DIR/savepoints, then stop" };
        var fromSavepoint = new Option<string?>("--from-savepoint") { Description = "start from this savepoint directory (when the state directory holds no checkpoint yet); parallelism may differ" };
        var cmd = new Command("run", "run a built-in job, or a job class of an assembly or published folder, on the embedded runtime until it finishes (Ctrl+C cancels)")
            { job, jobClass, param, parallelism, stateBackend, deadLetters, stateDir, interval, config, restart, savepointOnStop, fromSavepoint };
        cmd.SetAction(async (r, ct) =>
        {
            var backend = JobRunner.ParseStateBackend(r.GetValue(stateBackend));
            using var loaded = await JobRunner.LoadAsync(r.GetValue(job)!, r.GetValue(jobClass), JobRunner.ParseParams(r.GetValue(param) ?? []), r.GetValue(parallelism), ct, backend);
            var graph = loaded.Graph;
            var run = new RunSettings
            {
                StateDirectory = r.GetValue(stateDir),
                CheckpointInterval = r.GetValue(interval),
                ConfigFile = r.GetValue(config),
                RestartStrategy = r.GetValue(restart),
                SavepointOnStop = r.GetValue(savepointOnStop),
                FromSavepoint = r.GetValue(fromSavepoint),
                DeadLetterFile = r.GetValue(deadLetters),
            };
            return await JobRunner.RunAsync(graph, run, output, ct);
        });
        return cmd;
    }

    private static Command CheckpointsCommand(TextWriter output)
    {
        var stateDir = new Option<string>("--state-dir") { Description = "the job's state directory", Required = true };
        var config = new Option<string?>("--config") { Description = "HOCON file naming the checkpoint store, if not the SQLite file of the state directory" };
        var json = new Option<bool>("--json") { Description = "print JSON Lines, one checkpoint per line" };
        var cmd = new Command("checkpoints", "list the checkpoint history of a job's state directory (id, time, duration, size, alignment)") { stateDir, config, json };
        cmd.SetAction(async (r, ct) => await CheckpointsListing.PrintAsync(r.GetValue(stateDir)!, r.GetValue(config), r.GetValue(json), output, ct));
        return cmd;
    }

    private static Command JobsCommand(TextWriter output)
    {
        var cmd = new Command("jobs", "list built-in jobs and their parameters");
        cmd.SetAction(_ =>
        {
            foreach (var j in Jobs.BuiltInJobs.All)
            {
                output.WriteLine($"{j.Name}: {j.Description}");
                foreach (var p in j.Parameters)
                    output.WriteLine($"    {p.Name,-22} {p.Description}{(p.Required ? " (required)" : p.Default is null ? "" : $" (default {p.Default})")}");
            }
            return 0;
        });
        return cmd;
    }

    private static Command ExplainCommand(TextWriter output)
    {
        var job = new Argument<string>("job") { Description = "built-in job name" };
        var param = ParamOption();
        var parallelism = JobRunner.ParallelismOption();
        var cmd = new Command("explain", "print a job's logical graph and its execution plan (operator chains, parallelism, edges)") { job, param, parallelism };
        cmd.SetAction(r =>
        {
            var graph = JobRunner.BuildGraph(JobRunner.FindJob(r.GetValue(job)!), JobRunner.ParseParams(r.GetValue(param) ?? []), r.GetValue(parallelism));
            output.Write(graph.Explain());
            output.WriteLine();
            output.Write(ExecutionPlan.Create(graph).Explain());
            return 0;
        });
        return cmd;
    }

    private static Command GenerateCommand(TextWriter output)
    {
        var events = new Option<long>("--events") { Description = "number of events", DefaultValueFactory = _ => 1_000_000 };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 42 };
        var outFile = new Option<string>("--output") { Description = "events file (JSON Lines)", Required = true };
        var campaigns = new Option<string>("--campaigns") { Description = "campaign table (CSV)", Required = true };
        var ysb = new Command("ysb", "YSB ad events (out of order, with some late events and unknown ads) and their campaign table") { events, seed, outFile, campaigns };
        ysb.SetAction(r =>
        {
            var n = r.GetValue(events);
            if (n < 0) throw new UsageException("--events must not be negative");
            var table = Jobs.Ysb.YsbData.Campaigns();
            Jobs.Ysb.YsbData.WriteCampaigns(r.GetValue(campaigns)!, table);
            Jobs.Ysb.YsbData.WriteEvents(r.GetValue(outFile)!, Jobs.Ysb.YsbData.Generate(n, r.GetValue(seed), table));
            output.WriteLine($"wrote {n:N0} events to {r.GetValue(outFile)} and {table.Count} ads to {r.GetValue(campaigns)}");
            return 0;
        });
        return new Command("generate", "generate input data for the reference jobs") { ysb, GenerateBasketsCommand.Create(output) };
    }
}
