using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RecoFlow.Cli;

/// <summary>
/// Operating jobs on a cluster over any node's HTTP API: <c>submit</c>, <c>list</c>, <c>status</c>, <c>cancel</c>,
/// <c>savepoint</c>, <c>stop</c>. A refused request prints one line naming the cause and exits with 2; an unreachable
/// cluster exits with 1.
/// </summary>
public static class ClusterCommands
{
    public static IEnumerable<Command> Create(TextWriter output)
    {
        yield return Submit(output);
        yield return List(output);
        yield return Status(output);
        yield return Simple(output, "cancel", "cancel a job on the cluster", id => $"api/jobs/{id}/cancel", (id, _) => $"cancel requested for job {id}");
        yield return Savepoint(output);
        yield return Stop(output);
    }

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The environment variable that gives <c>--cluster</c> its default.</summary>
    public const string ClusterVariable = "RECOFLOW_CLUSTER";

    private static Option<string?> ClusterOption() => new("--cluster")
    {
        Description = $"HTTP address of any node, e.g. http://127.0.0.1:8081 (default: env {ClusterVariable})",
    };

    /// <summary>The --cluster value, else RECOFLOW_CLUSTER; neither is a usage error naming both.</summary>
    private static string ClusterAddress(string? option) =>
        !string.IsNullOrWhiteSpace(option) ? option
        : Environment.GetEnvironmentVariable(ClusterVariable) is { Length: > 0 } fromEnv ? fromEnv
        : throw new UsageException($"no cluster given: pass --cluster http://HOST:PORT or set {ClusterVariable}");

    private static Option<string?> TokenOption() => new("--token") { Description = "access token of the cluster's HTTP API (default: env RECOFLOW_TOKEN)" };

    private static Command Submit(TextWriter output)
    {
        var job = new Argument<string>("job") { Description = "built-in job name; or, with --job-class, a .dll built against RecoFlow.Api, or the folder 'dotnet publish' wrote for the job's project (or a zip of it) when the job has dependencies of its own" };
        var cluster = ClusterOption();
        var token = TokenOption();
        var param = new Option<string[]>("--param", "-P") { Description = "job parameter key=value (repeatable); paths are read on the node that runs the job", Arity = ArgumentArity.ZeroOrMore };
        var parallelism = JobRunner.ParallelismOption();
        var savepoint = new Option<string?>("--from-savepoint") { Description = "start from this savepoint (the directory printed by 'recoflow savepoint')" };
        var jobClass = new Option<string?>("--job-class") { Description = "with an assembly: full name of its IJobDefinition class" };
        var reactive = new Option<bool>("--reactive")
        {
            Description = "reactive mode (as Flink's): the parallelism is worker nodes x recoflow.cluster.slots-per-node (at most the job's max parallelism), " +
                "and the job is rescaled through a savepoint and a restart when a worker node joins or leaves; not with -p",
        };
        var minParallelism = new Option<int?>("--min-parallelism")
        {
            Description = "autoscale the job: rescale it (savepoint and restart) between this and --max-parallelism on its measured busy and backpressured time " +
                "(recoflow.cluster.autoscaler: up above 80% for 30 s, down below 30% for 5 min); -p is where it starts (default: this)",
        };
        var maxParallelism = new Option<int?>("--max-parallelism") { Description = "the autoscaler's upper bound (default: the job's max parallelism); alone, the lower bound is 1" };
        var stateBackend = JobRunner.StateBackendOption();
        var cmd = new Command("submit", "submit a job to a cluster; prints its job ID") { job, cluster, token, param, parallelism, savepoint, jobClass, reactive, minParallelism, maxParallelism, stateBackend };
        cmd.SetAction(async (r, ct) =>
        {
            var name = r.GetValue(job)!;
            var parameters = JobRunner.ParseParams(r.GetValue(param) ?? []);
            string? assembly = null;
            var cls = r.GetValue(jobClass);
            if (r.GetValue(reactive) && r.GetValue(parallelism) is not null)
                throw new UsageException("--reactive derives the parallelism from the worker nodes: give no -p/--parallelism with it");
            if (r.GetValue(reactive) && (r.GetValue(minParallelism) is not null || r.GetValue(maxParallelism) is not null))
                throw new UsageException("--reactive and --min-parallelism/--max-parallelism are two ways of scaling a job: choose one");
            if (name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || Directory.Exists(name))
            {
                if (cls is null) throw new UsageException("an assembly or a package needs --job-class (the full name of its IJobDefinition class)");
                assembly = Convert.ToBase64String(await JobPackage.ReadAsync(name, ct));
            }
            else if (cls is not null) throw new UsageException("--job-class needs an assembly (.dll), a published folder or a zip of one instead of a built-in job name");
            var body = new JsonObject
            {
                ["job"] = assembly is null ? name : cls,
                ["params"] = new JsonObject(parameters.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["from_savepoint"] = r.GetValue(savepoint),
                ["assembly"] = assembly,
                ["job_class"] = cls,
                ["parallelism"] = r.GetValue(parallelism),
            };
            if (r.GetValue(reactive)) body["reactive"] = true;
            if (r.GetValue(minParallelism) is { } min) body["min_parallelism"] = min;
            if (r.GetValue(maxParallelism) is { } max) body["max_parallelism"] = max;
            if (JobRunner.ParseStateBackend(r.GetValue(stateBackend)) is { } backend) body["state_backend"] = Api.State.StateBackends.NameOf(backend);
            var reply = await SendAsync(ClusterAddress(r.GetValue(cluster)), r.GetValue(token), HttpMethod.Post, "api/jobs", body, ct);
            output.WriteLine(reply["id"]!.GetValue<string>());
            return 0;
        });
        return cmd;
    }

    private static Command List(TextWriter output)
    {
        var cluster = ClusterOption();
        var token = TokenOption();
        var json = new Option<bool>("--json") { Description = "print the JSON array of jobs" };
        var cmd = new Command("list", "list the cluster's jobs") { cluster, token, json };
        cmd.SetAction(async (r, ct) =>
        {
            var reply = await SendAsync(ClusterAddress(r.GetValue(cluster)), r.GetValue(token), HttpMethod.Get, "api/jobs", null, ct);
            if (r.GetValue(json))
            {
                output.WriteLine(reply.ToJsonString(Json));
                return 0;
            }
            output.WriteLine($"{"ID",-24} {"JOB",-16} {"STATE",-11} {"RESTARTS",8}  NODE");
            foreach (var j in reply.AsArray())
                output.WriteLine($"{j!["id"],-24} {j["name"],-16} {j["status"],-11} {j["restarts"],8}  {j["node"]}");
            return 0;
        });
        return cmd;
    }

    private static Command Status(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "job ID (as printed by submit)" };
        var cluster = ClusterOption();
        var token = TokenOption();
        var json = new Option<bool>("--json") { Description = "print one JSON object: id, job, state, restarts, last_checkpoint, node, parallelism, reactive, ..." };
        var cmd = new Command("status", "show a job's state on the cluster") { id, cluster, token, json };
        cmd.SetAction(async (r, ct) =>
        {
            var jobId = r.GetValue(id)!;
            var d = await SendAsync(ClusterAddress(r.GetValue(cluster)), r.GetValue(token), HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(jobId)}", null, ct);
            var status = new JsonObject
            {
                ["id"] = d["id"]?.GetValue<string>(),
                ["job"] = d["name"]?.GetValue<string>(),
                ["state"] = d["status"]?.GetValue<string>(),
                ["restarts"] = d["restarts"]?.DeepClone(),
                ["last_checkpoint"] = d["last_checkpoint"]?["id"]?.DeepClone(),
                ["node"] = d["node"]?.DeepClone(),
                ["parallelism"] = d["parallelism"]?.DeepClone(),
                ["reactive"] = d["scaling"]?["mode"]?.GetValue<string>() == "reactive",
                ["submitted_at"] = d["submitted_at"]?.DeepClone(),
                ["ended_at"] = d["ended_at"]?.DeepClone(),
                ["failure_cause"] = d["failure_cause"]?.DeepClone(),
                ["scaling"] = d["scaling"]?["decisions"]?.DeepClone(),
            };
            if (r.GetValue(json))
            {
                output.WriteLine(status.ToJsonString(Json));
                return 0;
            }
            foreach (var (key, value) in status)
                output.WriteLine($"{key,-16} {(value is null ? "-" : value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString())}");
            return 0;
        });
        return cmd;
    }

    private static Command Savepoint(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "job ID" };
        var target = new Argument<string?>("directory")
        {
            Description = "directory to write the savepoint into (a new directory inside it), readable and writable by every node; default: the job's savepoints directory in the cluster's state directory",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var cluster = ClusterOption();
        var token = TokenOption();
        var cmd = new Command("savepoint", "take a savepoint of a running job; prints the savepoint's directory") { id, target, cluster, token };
        cmd.SetAction(async (r, ct) =>
        {
            var path = $"api/jobs/{Uri.EscapeDataString(r.GetValue(id)!)}/savepoint{TargetQuery('?', r.GetValue(target))}";
            var reply = await SendAsync(ClusterAddress(r.GetValue(cluster)), r.GetValue(token), HttpMethod.Post, path, null, ct);
            output.WriteLine(reply["savepoint"]!.GetValue<string>());
            return 0;
        });
        return cmd;
    }

    /// <summary>Flink's <c>stop</c>: a savepoint, then the job stops; the savepoint's directory is the last line printed.</summary>
    private static Command Stop(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "job ID" };
        var cluster = ClusterOption();
        var token = TokenOption();
        var drain = new Option<bool>("--drain", "-d") { Description = "end event time before the savepoint, so every window and timer fires (for a job that will not be resumed)" };
        var target = new Option<string?>("--savepoint-path") { Description = "directory to write the savepoint into (readable and writable by every node); default: the job's savepoints directory" };
        // Earlier versions canceled without --savepoint; stop always takes one now, and the flag is kept for old scripts.
        var savepoint = new Option<bool>("--savepoint") { Description = "(always on; kept for older scripts)", Hidden = true };
        var cmd = new Command("stop", "take a savepoint, then stop the job (as Flink's stop); prints the savepoint's directory. 'cancel' stops without one")
            { id, cluster, token, drain, target, savepoint };
        cmd.SetAction(async (r, ct) =>
        {
            var jobId = Uri.EscapeDataString(r.GetValue(id)!);
            var path = $"api/jobs/{jobId}/stop?savepoint=true{(r.GetValue(drain) ? "&drain=true" : "")}{TargetQuery('&', r.GetValue(target))}";
            var reply = await SendAsync(ClusterAddress(r.GetValue(cluster)), r.GetValue(token), HttpMethod.Post, path, null, ct);
            output.WriteLine(reply["savepoint"]!.GetValue<string>());
            return 0;
        });
        return cmd;
    }

    /// <summary>The target directory as a query parameter, made absolute here (where the user typed it).</summary>
    private static string TargetQuery(char separator, string? directory) =>
        string.IsNullOrWhiteSpace(directory) ? "" : $"{separator}target_directory={Uri.EscapeDataString(Path.GetFullPath(directory))}";

    private static Command Simple(TextWriter output, string name, string description, Func<string, string> path, Func<string, JsonNode, string> print)
    {
        var id = new Argument<string>("id") { Description = "job ID" };
        var cluster = ClusterOption();
        var token = TokenOption();
        var cmd = new Command(name, description) { id, cluster, token };
        cmd.SetAction(async (r, ct) =>
        {
            var jobId = r.GetValue(id)!;
            var reply = await SendAsync(ClusterAddress(r.GetValue(cluster)), r.GetValue(token), HttpMethod.Post, path(Uri.EscapeDataString(jobId)), null, ct);
            output.WriteLine(print(jobId, reply));
            return 0;
        });
        return cmd;
    }

    /// <summary>Sends a request to the cluster; a refusal (4xx) becomes a usage error with the server's message.</summary>
    private static async Task<JsonNode> SendAsync(string cluster, string? token, HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        if (!Uri.TryCreate(cluster.EndsWith('/') ? cluster : cluster + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            throw new UsageException($"--cluster must be an http(s) address of a node, got '{cluster}'");
        using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(10) };
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        token ??= Environment.GetEnvironmentVariable("RECOFLOW_TOKEN");
        if (!string.IsNullOrEmpty(token)) request.Headers.Authorization = new("Bearer", token);
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, ct); }
        catch (HttpRequestException e) { throw new ClusterUnreachableException($"cannot reach the cluster at {baseUri}: {e.Message}"); }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonNode? reply = null;
            try { reply = text.Length > 0 ? JsonNode.Parse(text) : null; }
            catch (JsonException) { }
            if (response.IsSuccessStatusCode) return reply ?? new JsonObject();
            // Problem details (RFC 9457): the detail names the cause; "error" is the older shape's field.
            var error = reply is JsonObject o && (o["detail"] ?? o["error"]) is JsonValue v ? v.GetValue<string>() : $"{(int)response.StatusCode} {response.ReasonPhrase}";
            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or >= HttpStatusCode.InternalServerError)
                throw new ClusterUnreachableException(error);
            throw new UsageException(error);
        }
    }
}
