using Microsoft.AspNetCore.Http;
using RecoFlow.ControlPlane;
using RecoFlow.Server.Jobs;
using RecoFlow.Server.Metrics;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Server.Api;

/// <summary>The JSON API (docs/http-api.md). Property names are snake_case; times are ISO-8601 UTC; durations in ms.</summary>
internal static class ApiEndpoints
{
    public static object Overview(NodeServerOptions options, IClusterView cluster, IJobRegistry jobs, NodeMetrics metrics, NodeClock clock)
    {
        var members = cluster.Members;
        var all = jobs.Jobs;
        return new
        {
            node = options.NodeName,
            started_at = clock.StartedAt,
            uptime_ms = (long)(DateTimeOffset.UtcNow - clock.StartedAt).TotalMilliseconds,
            security = options.SecurityOn,
            cluster = new
            {
                leader = members.FirstOrDefault(m => m.IsLeader)?.Address,
                members = members.Select(m => new
                {
                    address = m.Address,
                    roles = m.Roles,
                    status = m.Status,
                    reachable = m.Reachable,
                    up_since = m.UpSince,
                    leader = m.IsLeader,
                    self = m.IsSelf,
                }),
                removed = cluster.Removed.Select(m => new
                {
                    address = m.Address,
                    roles = m.Roles,
                    previous_status = m.PreviousStatus,
                    removed_at = m.RemovedAt,
                }),
                sharding = cluster.Sharding.Select(n => new
                {
                    address = n.Address,
                    shards = n.Shards,
                    tasks = n.Entities,
                    key_groups = n.KeyGroups,
                }),
            },
            jobs = new
            {
                total = all.Count,
                running = all.Count(j => j.Status == JobState.Running),
            },
            dead_letters = all.Sum(j => j.DeadLetterCount),
            latency_ms = metrics.Latency() is { } l ? new { count = l.Count, p50 = l.P50, p95 = l.P95, p99 = l.P99, p999 = l.P999, max = l.Max } : null,
        };
    }

    public static object Summary(IJobHandle j) => new
    {
        id = j.Id,
        name = j.Name,
        status = Status(j.Status),
        submitted_at = j.SubmittedAt,
        ended_at = j.EndedAt,
        uptime_ms = Uptime(j),
        restarts = j.Restarts,
        dead_letters = j.DeadLetterCount,
        node = j.Node,
        parallelism = j.Parallelism,
        reactive = j.Scaling?.Mode == "reactive",
        vertices = j.Graph.Vertices.Count,
        tasks = j.Graph.Vertices.Sum(v => v.Parallelism),
    };

    public static object Detail(IJobHandle j, JobMetricsSampler sampler) => new
    {
        id = j.Id,
        name = j.Name,
        status = Status(j.Status),
        failure_cause = j.FailureCause,
        submitted_at = j.SubmittedAt,
        ended_at = j.EndedAt,
        uptime_ms = Uptime(j),
        restarts = j.Restarts,
        last_checkpoint = j.Checkpoints.LastOrDefault(c => c.Status == "COMPLETED") is { } c ? Checkpoint(c) : null,
        dead_letters = j.DeadLetterCount,
        node = j.Node,
        parallelism = j.Parallelism,
        scaling = j.Scaling is { } scaling ? new
        {
            mode = scaling.Mode,
            min_parallelism = scaling.MinParallelism,
            max_parallelism = scaling.MaxParallelism,
            decisions = scaling.Decisions.Select(d => new
            {
                at = d.At,
                from = d.From,
                to = d.To,
                workers = d.Workers,
                reason = d.Reason,
                outcome = d.Outcome,
                savepoint = d.Savepoint,
            }),
        } : null,
        graph = new
        {
            vertices = j.Graph.Vertices.Select(v => new
            {
                id = v.Id,
                name = v.Name,
                parallelism = v.Parallelism,
                operators = v.Operators.Select(o => new { name = o.Name, kind = o.Kind }),
            }),
            edges = j.Graph.Edges.Select(e => new { from = e.From, to = e.To, partitioning = e.Partitioning }),
        },
        tasks = sampler.Rates(j).Select(r => new
        {
            id = r.Counters.TaskId,
            vertex = r.Counters.VertexId,
            subtask = r.Counters.Subtask,
            name = r.Counters.Name,
            state = r.Counters.State,
            node = r.Counters.Node ?? j.Node,
            records_in = r.Counters.RecordsIn,
            records_out = r.Counters.RecordsOut,
            records_in_per_second = Math.Round(r.RecordsInPerSecond, 1),
            records_out_per_second = Math.Round(r.RecordsOutPerSecond, 1),
            busy_ms_per_second = Math.Round(r.BusyMsPerSecond, 1),
            idle_ms_per_second = Math.Round(r.IdleMsPerSecond, 1),
            backpressured_ms_per_second = Math.Round(r.BackpressuredMsPerSecond, 1),
            watermark = r.Counters.Watermark is { } w && w != RecoFlow.Api.Time.Watermark.MaxWatermark ? w : (long?)null,
            watermark_lag_ms = r.WatermarkLagMs,
        }),
        throughput = sampler.History(j.Id).Select(p => new
        {
            time_ms = p.TimeMs,
            read_per_second = Math.Round(p.ReadPerSecond, 1),
            written_per_second = Math.Round(p.WrittenPerSecond, 1),
        }),
    };

    public static object Checkpoint(CheckpointView c) => new
    {
        id = c.Id,
        trigger_time = c.TriggerTime,
        duration_ms = c.DurationMs,
        size_bytes = c.SizeBytes,
        full_size_bytes = c.FullSizeBytes,
        alignment_ms = c.AlignmentMs,
        status = c.Status,
        failure_cause = c.FailureCause,
    };

    private static string Status(JobState s) => s.ToString().ToUpperInvariant();

    private static long Uptime(IJobHandle j) => (long)((j.EndedAt ?? DateTimeOffset.UtcNow) - j.SubmittedAt).TotalMilliseconds;
}

/// <summary>When this node's HTTP layer started.</summary>
public sealed class NodeClock
{
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
}
