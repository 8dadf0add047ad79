using RecoFlow.Cluster.Jobs;
using RecoFlow.ControlPlane;

namespace RecoFlow.Cluster.Tests;

/// <summary>The autoscaler's policy with injected time: thresholds held for their times, the cool-down, the bounds, the utilization measure.</summary>
public sealed class AutoscalerPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AutoscalerPolicy Policy(int min = 1, int max = 8) => new(new AutoscalerSettings(min, max));

    /// <summary>Feeds one sample a second from <paramref name="from"/> for <paramref name="seconds"/> seconds; the first decision, if any.</summary>
    private static AutoscaleDecision? Feed(AutoscalerPolicy policy, DateTimeOffset from, int seconds, double utilization, int parallelism)
    {
        for (var s = 0; s <= seconds; s++)
            if (policy.Observe(from + TimeSpan.FromSeconds(s), utilization, parallelism) is { } d) return d;
        return null;
    }

    [Fact]
    public void Above_80_percent_for_30_seconds_scales_up_to_the_target_utilization()
    {
        var policy = Policy();
        Assert.Null(Feed(policy, T0, 29, 0.9, 2)); // 29 s is not yet 30
        var d = policy.Observe(T0 + TimeSpan.FromSeconds(30), 0.9, 2);
        Assert.NotNull(d);
        Assert.Equal((2, 4), (d.From, d.To)); // ceil(2 x 0.9 / 0.55)
        Assert.Equal("above 80% busy or backpressured for 30 s (now 90%)", d.Reason);
    }

    [Fact]
    public void One_sample_below_the_threshold_starts_the_30_seconds_over()
    {
        var policy = Policy();
        Assert.Null(Feed(policy, T0, 20, 0.95, 2));
        Assert.Null(policy.Observe(T0 + TimeSpan.FromSeconds(21), 0.5, 2));
        Assert.Null(Feed(policy, T0 + TimeSpan.FromSeconds(22), 29, 0.95, 2));
        Assert.NotNull(policy.Observe(T0 + TimeSpan.FromSeconds(52), 0.95, 2));
    }

    [Fact]
    public void Below_30_percent_for_5_minutes_scales_down_by_at_least_one()
    {
        var policy = Policy();
        Assert.Null(Feed(policy, T0, 299, 0.25, 4));
        var d = policy.Observe(T0 + TimeSpan.FromMinutes(5), 0.25, 4)!;
        Assert.Equal((4, 2), (d.From, d.To)); // ceil(4 x 0.25 / 0.55) = 2
        Assert.Equal("below 30% busy for 300 s (now 25%)", d.Reason);

        var nearly = Policy();
        Assert.Equal(3, Feed(nearly, T0, 300, 0.29, 4)!.To); // ceil(4 x 0.29 / 0.55) = 3
    }

    [Fact]
    public void No_decision_within_the_cool_down_after_a_rescale()
    {
        var policy = Policy();
        var up = Feed(policy, T0, 30, 0.9, 2)!;
        Assert.Equal(4, up.To);
        // Still hot at 4: the cool-down (2 min, until 150 s) holds the next decision back and its samples do not count;
        // after it, 30 s above the threshold are needed again.
        Assert.Null(Feed(policy, T0 + TimeSpan.FromSeconds(31), 119, 0.9, 4));
        var next = Feed(policy, T0 + TimeSpan.FromSeconds(151), 60, 0.9, 4)!;
        Assert.Equal(T0 + TimeSpan.FromSeconds(150 + 30), next.At);
        Assert.Equal(7, next.To);
    }

    [Fact]
    public void An_outside_rescale_starts_the_cool_down_too()
    {
        var policy = Policy();
        Assert.Null(Feed(policy, T0, 20, 0.9, 2));
        policy.Rescaled(T0 + TimeSpan.FromSeconds(21));
        Assert.Null(Feed(policy, T0 + TimeSpan.FromSeconds(22), 120, 0.9, 3));
    }

    [Fact]
    public void Never_beyond_the_min_and_max_parallelism()
    {
        var top = Policy(min: 1, max: 3);
        Assert.Equal(3, Feed(top, T0, 30, 1.0, 2)!.To); // would be 4
        var atTop = Policy(min: 1, max: 3);
        Assert.Null(Feed(atTop, T0, 120, 1.0, 3));

        var bottom = Policy(min: 2, max: 8);
        Assert.Equal(2, Feed(bottom, T0, 300, 0.01, 6)!.To); // would be 1
        var atBottom = Policy(min: 2, max: 8);
        Assert.Null(Feed(atBottom, T0, 600, 0.01, 2));
    }

    [Fact]
    public void A_gap_in_the_samples_starts_the_measurement_over()
    {
        var policy = Policy();
        Assert.Null(Feed(policy, T0, 25, 0.9, 2));
        // The job restarted: no sample for 20 s; 25 s before the gap do not count.
        Assert.Null(Feed(policy, T0 + TimeSpan.FromSeconds(45), 29, 0.9, 2));
        Assert.NotNull(policy.Observe(T0 + TimeSpan.FromSeconds(75), 0.9, 2));
    }

    [Fact]
    public void Bad_settings_are_refused_naming_them()
    {
        Assert.Contains("min parallelism", Assert.Throws<ArgumentException>(() => Policy(min: 0)).Message, StringComparison.Ordinal);
        Assert.Contains("must not be below the min", Assert.Throws<ArgumentException>(() => Policy(min: 4, max: 2)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new AutoscalerPolicy(new AutoscalerSettings(1, 4, ScaleUpUtilization: 0.2, ScaleDownUtilization: 0.3)));
        Assert.Throws<ArgumentException>(() => new AutoscalerPolicy(new AutoscalerSettings(1, 4, TargetUtilization: 0.9)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Policy().Observe(T0, double.NaN, 1));
    }

    private static TaskCounters Counters(string id, double busyMs, double backpressuredMs, double runningMs) =>
        new(id, 1, 0, id, "RUNNING", 0, 0, 0, 0, TimeSpan.FromMilliseconds(busyMs), TimeSpan.FromMilliseconds(backpressuredMs), TimeSpan.FromMilliseconds(runningMs), null);

    [Fact]
    public void Utilization_is_the_largest_busy_or_backpressured_share_of_any_task_between_two_samples()
    {
        IReadOnlyList<TaskCounters> before = [Counters("1.0", 100, 0, 1_000), Counters("2.0", 0, 500, 1_000), Counters("3.0", 0, 0, 1_000)];
        // 1.0: 300 ms busy of 1 s; 2.0: 850 ms backpressured of 1 s; 3.0 did not run; 4.0 is new (no previous sample).
        IReadOnlyList<TaskCounters> after = [Counters("1.0", 400, 0, 2_000), Counters("2.0", 0, 1_350, 2_000), Counters("3.0", 0, 0, 1_000), Counters("4.0", 1_000, 0, 1_000)];
        Assert.Equal(0.85, AutoscalerPolicy.Utilization(before, after), 3);
        Assert.Equal(0.0, AutoscalerPolicy.Utilization([], after));
    }
}
