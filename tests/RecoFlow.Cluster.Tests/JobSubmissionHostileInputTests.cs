using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Akka.Configuration;
using RecoFlow.Cluster.Hosting;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Server;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// POST /api/jobs on a real single-node cluster (in this process: Akka cluster, job manager singleton, Kestrel) against
/// hostile submissions: each is refused with a 4xx naming the problem, nothing reaches the job list, and the node and
/// its job manager keep answering.
/// </summary>
public sealed class JobSubmissionHostileInputTests : IAsyncLifetime
{
    private const string Token = "hostile-test-token-0123456789";
    private readonly string _dir = Directory.CreateTempSubdirectory("hostile-jobs").FullName;
    private ClusterNode _node = null!;
    private NodeHttpServer _server = null!;
    private HttpClient _http = null!;

    /// <summary>The node's catalogue for submitted assemblies, as the CLI's node has it (built-in jobs are not needed here).</summary>
    private sealed class AssemblyCatalog : IJobCatalog
    {
        public LoadedJob Load(JobSubmission submission) => submission.Assembly is { } bytes
            ? JobAssemblyLoader.Load(bytes, submission.JobClass!, submission.Parameters)
            : throw new JobSubmissionException($"unknown job '{submission.Job}'");
    }

    public async Task InitializeAsync()
    {
        var settings = NodeSettings.Resolve(Config.Empty, NodeProcess.FreePort(), null, 0, Path.Combine(_dir, "state"));
        _node = await ClusterNode.StartAsync(settings, new AssemblyCatalog(), settings.JoinTimeout, CancellationToken.None);
        _server = await NodeHttpServer.StartAsync(new NodeServerOptions { NodeName = settings.Address, Port = 0, Token = Token },
            new NodeServices { Jobs = _node.Jobs, Operations = _node.Jobs, Cluster = _node.ClusterView });
        _http = new HttpClient { BaseAddress = _server.Url, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _node.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(HttpStatusCode Status, string Error)> SubmitAsync(HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var r = await _http.PostAsync("api/jobs", content);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!);
    }

    private Task<(HttpStatusCode Status, string Error)> SubmitAsync(string json) => SubmitAsync(new StringContent(json));

    private static string WithAssembly(byte[] assembly, string jobClass) =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["job"] = jobClass, ["job_class"] = jobClass, ["assembly"] = Convert.ToBase64String(assembly), ["params"] = new Dictionary<string, string>() });

    [Fact]
    public async Task Malformed_bodies_are_refused_with_the_problem_named()
    {
        var utf8 = Encoding.UTF8.GetBytes("""{"job":"XX"}""");
        utf8[8] = 0xC3;
        utf8[9] = 0x28;
        Assert.Equal((HttpStatusCode.BadRequest, "body is not valid UTF-8"), await SubmitAsync(new ByteArrayContent(utf8)));

        var tooLarge = await SubmitAsync(new ByteArrayContent(new byte[10 << 20]));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "body exceeds 4194304 bytes (recoflow.http.max-job-bytes)"), tooLarge);

        var deep = await SubmitAsync("{\"job\":\"x\",\"params\":" + new string('[', 10_000) + new string(']', 10_000) + "}");
        Assert.Equal(HttpStatusCode.BadRequest, deep.Status);
        Assert.Contains("maximum configured depth", deep.Error, StringComparison.Ordinal);

        var wrongType = await SubmitAsync("""{"job":5}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
        Assert.Contains("$.job", wrongType.Error, StringComparison.Ordinal);

        var wrongParam = await SubmitAsync("""{"job":"ysb","params":{"parallelism":4}}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongParam.Status);
        Assert.Contains("$.params.parallelism", wrongParam.Error, StringComparison.Ordinal);

        var unknown = await SubmitAsync("""{"job":"ysb","jar":"x.jar"}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Contains("'jar'", unknown.Error, StringComparison.Ordinal);

        Assert.Equal((HttpStatusCode.BadRequest, "the body must be a JSON object with at least \"job\""), await SubmitAsync("null"));
        var array = await SubmitAsync("[]");
        Assert.Equal(HttpStatusCode.BadRequest, array.Status);

        await AssertServingAsync();
    }

    [Fact]
    public async Task A_file_that_is_not_dotnet_and_assemblies_whose_code_throws_are_refused_naming_what_happened()
    {
        var random = new byte[64 * 1024];
        new Random(17).NextBytes(random);
        Assert.Equal((HttpStatusCode.BadRequest, "the submitted file is neither a .NET assembly nor a zip of a published folder"), await SubmitAsync(WithAssembly(random, "MyJobs.Job")));

        var hostile = HostileAssemblies.Emit();
        var initialiser = await SubmitAsync(WithAssembly(hostile, HostileAssemblies.ThrowingInitialiser));
        Assert.Equal((HttpStatusCode.BadRequest,
            $"{HostileAssemblies.ThrowingInitialiser} cannot be created: the type initialiser of {HostileAssemblies.ThrowingInitialiser} threw InvalidOperationException: {HostileAssemblies.InitialiserMessage}"),
            initialiser);
        // Again (the same assembly in a new load context): the same answer, from a job manager that is still there.
        Assert.Equal(initialiser, await SubmitAsync(WithAssembly(hostile, HostileAssemblies.ThrowingInitialiser)));

        var build = await SubmitAsync(WithAssembly(hostile, HostileAssemblies.ThrowingBuild));
        Assert.Equal(HttpStatusCode.BadRequest, build.Status);
        Assert.StartsWith($"job '{HostileAssemblies.ThrowingBuild}' cannot be built: NullReferenceException: ", build.Error, StringComparison.Ordinal);

        await AssertServingAsync();
    }

    /// <summary>The node lists jobs (none was started) and its job manager still answers a submission.</summary>
    private async Task AssertServingAsync()
    {
        using var list = await _http.GetAsync("api/jobs");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(0, JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
        Assert.Equal((HttpStatusCode.BadRequest, "unknown job 'nope'"), await SubmitAsync("""{"job":"nope"}"""));
    }
}
