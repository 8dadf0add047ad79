using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using RecoFlow.ControlPlane;
using RecoFlow.Server.Api;

namespace RecoFlow.Server.Tests;

/// <summary>Asynchronous savepoints (Flink's trigger id to poll): <see cref="SavepointTriggers"/> and its two routes.</summary>
public sealed class SavepointTriggerTests(AccessNode node) : IClassFixture<AccessNode>
{
    /// <summary>Savepoints that end when the test says so.</summary>
    private sealed class PendingOperations : IJobOperations
    {
        public TaskCompletionSource<JobOperationResult> Next { get; private set; } = new();
        public SavepointCommand? LastCommand { get; private set; }

        public Task<JobOperationResult> SavepointAsync(string jobId, SavepointCommand command, CancellationToken cancellationToken)
        {
            LastCommand = command;
            var pending = Next;
            Next = new();
            return pending.Task;
        }

        public Task<JobOperationResult> SubmitAsync(JobSubmitRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<JobOperationResult> CancelAsync(string jobId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    [Fact]
    public void A_trigger_is_in_progress_until_its_savepoint_ends_then_completed_with_the_directory()
    {
        var ops = new PendingOperations();
        var triggers = new SavepointTriggers(ops);
        var pending = ops.Next;
        var id = triggers.Trigger("job-1", new SavepointCommand(Stop: true, "/sp", Drain: true));
        Assert.Equal(new SavepointCommand(true, "/sp", true), ops.LastCommand);
        Assert.Equal("IN_PROGRESS", triggers.Find("job-1", id)!.Status);
        pending.SetResult(new JobOperationResult(200, "job-1", Savepoint: "/sp/savepoint-3"));
        var done = triggers.Find("job-1", id)!;
        Assert.Equal(("COMPLETED", "/sp/savepoint-3"), (done.Status, done.Savepoint));
        Assert.Null(triggers.Find("job-2", id));
        Assert.Null(triggers.Find("job-1", "unknown"));
    }

    [Fact]
    public void A_refused_or_crashed_savepoint_is_failed_with_its_cause()
    {
        var ops = new PendingOperations();
        var triggers = new SavepointTriggers(ops);
        var refused = ops.Next;
        var a = triggers.Trigger("job-1", new SavepointCommand(false));
        var crashed = ops.Next;
        var b = triggers.Trigger("job-1", new SavepointCommand(false));
        refused.SetResult(new JobOperationResult(409, Error: "job job-1 already ended (CANCELED)"));
        crashed.SetException(new InvalidOperationException("savepoint failed: task lost"));
        Assert.Equal(("FAILED", "job job-1 already ended (CANCELED)", (int?)409), (triggers.Find("job-1", a)!.Status, triggers.Find("job-1", a)!.Error, triggers.Find("job-1", a)!.ErrorStatus));
        Assert.Equal(("FAILED", "savepoint failed: task lost"), (triggers.Find("job-1", b)!.Status, triggers.Find("job-1", b)!.Error));
    }

    [Fact]
    public void Finished_triggers_beyond_the_kept_number_are_forgotten_oldest_first()
    {
        var ops = new PendingOperations();
        var triggers = new SavepointTriggers(ops);
        var ids = new List<string>();
        for (var i = 0; i < SavepointTriggers.Kept + 10; i++)
        {
            ops.Next.SetResult(new JobOperationResult(200, "j", Savepoint: $"sp-{i}"));
            ids.Add(triggers.Trigger("j", new SavepointCommand(false)));
        }
        Assert.Null(triggers.Find("j", ids[0]));
        Assert.Equal("sp-" + (SavepointTriggers.Kept + 9), triggers.Find("j", ids[^1])!.Savepoint);
    }

    [Fact]
    public async Task Over_http_the_trigger_answers_202_with_an_id_and_polling_it_gives_the_savepoint()
    {
        using var http = new HttpClient { BaseAddress = node.Server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs/job-1/savepoints?target_directory=/shared/sp");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AccessNode.AdminToken);
        using var triggered = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, triggered.StatusCode);
        var id = JsonDocument.Parse(await triggered.Content.ReadAsStringAsync()).RootElement.GetProperty("request_id").GetString();

        var status = JsonDocument.Parse(await http.GetStringAsync($"api/jobs/job-1/savepoints/{id}")).RootElement;
        Assert.Equal("COMPLETED", status.GetProperty("status").GetString());
        Assert.Equal("sp", status.GetProperty("savepoint").GetString());

        using var unknown = await http.GetAsync("api/jobs/job-1/savepoints/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var anonymous = await http.PostAsync("api/jobs/job-1/savepoints", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
