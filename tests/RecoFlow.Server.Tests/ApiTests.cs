using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace RecoFlow.Server.Tests;

[Collection(NodeCollection.Name)]
public sealed class ApiTests(NodeFixture node)
{
    private async Task<JsonElement> Get(string path)
    {
        using var r = await node.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Overview_describes_the_node_as_a_one_member_cluster()
    {
        var o = await Get("api/overview");
        Assert.Equal("test-node", o.GetProperty("node").GetString());
        Assert.True(o.GetProperty("uptime_ms").GetInt64() >= 0);
        Assert.True(o.GetProperty("security").GetBoolean());
        var members = o.GetProperty("cluster").GetProperty("members");
        var self = Assert.Single(members.EnumerateArray());
        Assert.Equal("test-node", self.GetProperty("address").GetString());
        Assert.Equal("up", self.GetProperty("status").GetString());
        Assert.True(self.GetProperty("reachable").GetBoolean());
        Assert.True(self.GetProperty("leader").GetBoolean());
        Assert.Contains("worker", self.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("test-node", o.GetProperty("cluster").GetProperty("leader").GetString());
        Assert.True(o.GetProperty("jobs").GetProperty("total").GetInt32() >= 1);
        Assert.True(o.TryGetProperty("dead_letters", out _));
    }

    [Theory]
    [InlineData("health/live")]
    [InlineData("health/ready")]
    public async Task Health_probes_answer_200_healthy_for_a_node_alone_without_a_token(string path)
    {
        using var client = new HttpClient { BaseAddress = node.Http.BaseAddress };
        using var r = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Empty(body.GetProperty("problems").EnumerateArray());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_http_api()
    {
        using var client = new HttpClient { BaseAddress = node.Http.BaseAddress };
        var doc = JsonDocument.Parse(await client.GetStringAsync("openapi/v1.json")).RootElement;
        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/overview", paths);
        Assert.Contains("/api/jobs/{id}", paths);
        Assert.Contains("/api/jobs/{id}/checkpoints", paths);
        Assert.True(doc.GetProperty("paths").GetProperty("/api/jobs/{id}/cancel").TryGetProperty("post", out _));
    }

    [Fact]
    public async Task Errors_are_rfc_9457_problem_details_that_keep_the_error_field()
    {
        using var r = await node.Http.GetAsync("api/jobs/no-such-job");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal("Not Found", problem.GetProperty("title").GetString());
        Assert.StartsWith("https://", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal("no job no-such-job", problem.GetProperty("detail").GetString());
        Assert.Equal("no job no-such-job", problem.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Jobs_lists_the_running_job()
    {
        var jobs = await Get("api/jobs");
        var ysb = jobs.EnumerateArray().Single(j => j.GetProperty("id").GetString() == node.YsbJobId);
        Assert.Equal("live-ysb", ysb.GetProperty("name").GetString());
        Assert.Equal("RUNNING", ysb.GetProperty("status").GetString());
        Assert.Equal(0, ysb.GetProperty("restarts").GetInt32());
        Assert.True(ysb.GetProperty("tasks").GetInt32() >= 2);
    }

    [Fact]
    public async Task Job_detail_has_the_graph_and_per_second_task_rates()
    {
        var job = await Eventually.Until(() => Get($"api/jobs/{node.YsbJobId}"),
            j => j.GetProperty("tasks").EnumerateArray().Any(t => t.GetProperty("records_out_per_second").GetDouble() > 0)
                 && j.GetProperty("tasks").EnumerateArray().Any(t => t.GetProperty("watermark_lag_ms").ValueKind == JsonValueKind.Number),
            what: "task rates and a watermark");
        Assert.Equal("RUNNING", job.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("last_checkpoint").ValueKind);
        var vertices = job.GetProperty("graph").GetProperty("vertices").EnumerateArray().ToList();
        Assert.True(vertices.Count >= 2);
        var operators = vertices.SelectMany(v => v.GetProperty("operators").EnumerateArray().Select(o => o.GetProperty("name").GetString())).ToList();
        Assert.Equal(node.YsbOperatorNames.Order(), operators.Order());
        Assert.All(vertices, v => Assert.True(v.GetProperty("parallelism").GetInt32() >= 1));
        var edges = job.GetProperty("graph").GetProperty("edges").EnumerateArray().ToList();
        Assert.Contains(edges, e => e.GetProperty("partitioning").GetString() == "hash");
        Assert.All(edges, e => Assert.Contains(vertices, v => v.GetProperty("id").GetInt32() == e.GetProperty("to").GetInt32()));

        foreach (var t in job.GetProperty("tasks").EnumerateArray())
        {
            var busy = t.GetProperty("busy_ms_per_second").GetDouble();
            var idle = t.GetProperty("idle_ms_per_second").GetDouble();
            var bp = t.GetProperty("backpressured_ms_per_second").GetDouble();
            Assert.InRange(busy, 0, 1000);
            Assert.InRange(idle, 0, 1000);
            Assert.InRange(bp, 0, 1000);
            Assert.InRange(busy + idle + bp, 0, 1000.5);
            Assert.True(t.GetProperty("records_in").GetInt64() >= 0);
        }
        var lag = job.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("watermark_lag_ms").ValueKind == JsonValueKind.Number);
        // Generated events carry the wall clock; the watermark trails it by the out-of-orderness bound and one poll.
        Assert.InRange(lag.GetProperty("watermark_lag_ms").GetInt64(), 0, 10_000);
        Assert.True(job.GetProperty("throughput").GetArrayLength() >= 1);
    }

    [Fact]
    public async Task Checkpoints_are_an_empty_list_until_the_runtime_takes_them()
    {
        var list = await Get($"api/jobs/{node.YsbJobId}/checkpoints");
        Assert.Equal(JsonValueKind.Array, list.ValueKind);
        Assert.Equal(0, list.GetArrayLength());
    }

    [Fact]
    public async Task Unknown_job_is_404()
    {
        using var r = await node.Http.GetAsync("api/jobs/nope-1");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using var c = await node.Http.GetAsync("api/jobs/nope-1/checkpoints");
        Assert.Equal(HttpStatusCode.NotFound, c.StatusCode);
    }

    [Fact]
    public async Task Cancel_requires_the_token_and_cancels_the_job()
    {
        var handle = node.Registry.Add(node.Runtime.Submit(NodeFixture.LiveYsb(new DiscardLatency(), 100, "to-cancel")));
        using (var anonymous = await node.Http.PostAsync($"api/jobs/{handle.Id}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, $"api/jobs/{handle.Id}/cancel"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
            using var r = await node.Http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        Assert.NotEqual("CANCELED", (await Get($"api/jobs/{handle.Id}")).GetProperty("status").GetString());
        using (var ok = new HttpRequestMessage(HttpMethod.Post, $"api/jobs/{handle.Id}/cancel"))
        {
            ok.Headers.Authorization = new AuthenticationHeaderValue("Bearer", NodeFixture.Token);
            using var r = await node.Http.SendAsync(ok);
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }
        var job = await Eventually.Until(() => Get($"api/jobs/{handle.Id}"), j => j.GetProperty("status").GetString() == "CANCELED", what: "CANCELED");
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("ended_at").ValueKind);
    }
}

internal sealed class DiscardLatency : Metrics.ILatencyRecorder
{
    public void Record(TimeSpan latency) { }
}
