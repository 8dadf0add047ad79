using RecoFlow.Cluster.Jobs;

namespace RecoFlow.Cluster.Tests;

/// <summary>Reactive mode's decisions: what parallelism, when to rescale, the debounce of several joins, the retry after a failure.</summary>
public sealed class ReactiveScalerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Stabilization = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    private static ReactiveScaler Scaler(int slots = 1) => new(slots, Stabilization, RetryDelay);

    private static ReactiveJobState Job(int parallelism, int max = 128, bool busy = false, DateTimeOffset? failedAt = null) =>
        new("ysb-1", parallelism, max, busy, failedAt);

    [Theory]
    [InlineData(1, 1, 128, 1)]
    [InlineData(3, 1, 128, 3)]
    [InlineData(3, 4, 128, 12)]
    [InlineData(3, 4, 8, 8)] // capped by the job's max parallelism
    [InlineData(0, 2, 128, 1)] // never below 1
    [InlineData(int.MaxValue, int.MaxValue, 128, 128)] // no overflow
    public void Parallelism_is_workers_times_slots_capped_by_max_parallelism(int workers, int slots, int max, int expected) =>
        Assert.Equal(expected, ReactiveScaler.Parallelism(workers, slots, max));

    [Fact]
    public void Bad_settings_are_refused_naming_them()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ReactiveScaler(0, Stabilization, RetryDelay));
        Assert.Contains("slots-per-node", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReactiveScaler(1, TimeSpan.FromSeconds(-1), RetryDelay));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReactiveScaler.Parallelism(1, 1, 0));
    }

    [Fact]
    public void A_joining_worker_rescales_the_job_once_the_count_has_held_for_the_stabilization_time()
    {
        var scaler = Scaler();
        Assert.True(scaler.ObserveWorkers(2, T0));
        Assert.Null(scaler.Decide(Job(2), T0 + TimeSpan.FromMinutes(1))); // already at 2

        Assert.True(scaler.ObserveWorkers(3, T0 + TimeSpan.FromMinutes(2)));
        Assert.Null(scaler.Decide(Job(2), T0 + TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(4.9)));
        var d = scaler.Decide(Job(2), T0 + TimeSpan.FromMinutes(2) + Stabilization);
        Assert.NotNull(d);
        Assert.Equal(("ysb-1", 2, 3, 3), (d.JobId, d.From, d.To, d.Workers));
        Assert.Equal("3 worker nodes x 1 slot per node", d.Reason);
    }

    [Fact]
    public void Several_joins_in_a_row_give_one_decision_to_the_final_count()
    {
        var scaler = Scaler();
        scaler.ObserveWorkers(2, T0);
        scaler.ObserveWorkers(3, T0 + TimeSpan.FromSeconds(10));
        scaler.ObserveWorkers(4, T0 + TimeSpan.FromSeconds(13));
        Assert.Null(scaler.Decide(Job(2), T0 + TimeSpan.FromSeconds(16))); // 3 s after the last join
        scaler.ObserveWorkers(5, T0 + TimeSpan.FromSeconds(17));
        Assert.Null(scaler.Decide(Job(2), T0 + TimeSpan.FromSeconds(21)));
        Assert.Equal(5, scaler.Decide(Job(2), T0 + TimeSpan.FromSeconds(22))!.To);
    }

    [Fact]
    public void The_same_count_observed_again_is_no_change_and_does_not_restart_the_stabilization()
    {
        var scaler = Scaler();
        scaler.ObserveWorkers(2, T0);
        Assert.False(scaler.ObserveWorkers(2, T0 + TimeSpan.FromSeconds(4)));
        Assert.Equal(T0, scaler.ChangedAt);
        Assert.Equal(2, scaler.Decide(Job(1), T0 + Stabilization)!.To);
    }

    [Fact]
    public void A_leaving_worker_scales_the_job_down()
    {
        var scaler = Scaler(slots: 2);
        scaler.ObserveWorkers(3, T0);
        scaler.ObserveWorkers(2, T0 + TimeSpan.FromMinutes(1));
        var d = scaler.Decide(Job(6), T0 + TimeSpan.FromMinutes(1) + Stabilization)!;
        Assert.Equal((6, 4), (d.From, d.To));
        Assert.Equal("2 worker nodes x 2 slots per node", d.Reason);
    }

    [Fact]
    public void The_decision_names_the_cap_by_max_parallelism()
    {
        var scaler = Scaler(slots: 4);
        scaler.ObserveWorkers(3, T0);
        var d = scaler.Decide(Job(4, max: 8), T0 + Stabilization)!;
        Assert.Equal(8, d.To);
        Assert.Equal("3 worker nodes x 4 slots per node, capped at the job's max parallelism 8", d.Reason);
        Assert.Null(scaler.Decide(Job(8, max: 8), T0 + Stabilization));
    }

    [Fact]
    public void Nothing_is_decided_before_any_observation_with_no_worker_or_while_the_job_is_busy()
    {
        var scaler = Scaler();
        Assert.Null(scaler.Decide(Job(1), T0));
        scaler.ObserveWorkers(0, T0);
        Assert.Null(scaler.Decide(Job(2), T0 + TimeSpan.FromMinutes(1))); // no worker to run on: the job keeps its parallelism
        scaler.ObserveWorkers(3, T0 + TimeSpan.FromMinutes(1));
        Assert.Null(scaler.Decide(Job(2, busy: true), T0 + TimeSpan.FromMinutes(2)));
        Assert.NotNull(scaler.Decide(Job(2), T0 + TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public void A_failed_rescale_is_retried_after_the_retry_delay()
    {
        var scaler = Scaler();
        scaler.ObserveWorkers(3, T0);
        var failed = T0 + TimeSpan.FromSeconds(10);
        Assert.Null(scaler.Decide(Job(2, failedAt: failed), failed + TimeSpan.FromSeconds(29)));
        Assert.Equal(3, scaler.Decide(Job(2, failedAt: failed), failed + RetryDelay)!.To);
    }
}
