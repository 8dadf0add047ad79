using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Tests;

public sealed class DiversityControllerTests
{
    private static readonly DiversityControllerOptions Options = new(Target: 0.8, WindowLists: 20, InitialTheta: 0.5);

    private static DiversityVersion? Window(DiversityController c, DiversityControllerState s, double ild, long atMs = 0)
    {
        DiversityVersion? last = null;
        for (int i = 0; i < c.Options.WindowLists; i++) last = c.Observe(s, ild, atMs) ?? last;
        return last;
    }

    [Fact]
    public void Too_uniform_lists_lower_theta_and_too_diverse_ones_raise_it_once_per_window()
    {
        var c = new DiversityController(Options);
        var s = c.NewState();
        Assert.Equal(1, s.LatestVersion);
        for (int i = 0; i < Options.WindowLists - 1; i++) Assert.Null(c.Observe(s, 0.6, 0));
        var lowered = c.Observe(s, 0.6, 42);
        Assert.NotNull(lowered);
        Assert.True(lowered.Theta < 0.5, $"θ {lowered.Theta}");
        Assert.Equal(0.6, lowered.WindowIld, 9);
        Assert.Equal(2, lowered.Version);
        Assert.Equal(42, lowered.AtMs);

        var raised = Window(c, s, 0.95);
        Assert.NotNull(raised);
        Assert.True(raised.Theta > lowered.Theta);
        Assert.Equal(3, s.LatestVersion);
    }

    [Fact]
    public void An_error_within_the_tolerance_makes_no_version()
    {
        var c = new DiversityController(Options);
        var s = c.NewState();
        Assert.Null(Window(c, s, 0.801));
        Assert.Equal(0.5, s.Theta);
        Assert.Single(s.Versions);
    }

    [Fact]
    public void Each_step_is_bounded_and_theta_stays_within_its_bounds()
    {
        var c = new DiversityController(Options with { MinTheta = 0.05, MaxTheta = 0.9 });
        var s = c.NewState();
        double logit = 0;
        for (int w = 0; w < 50; w++)
        {
            Window(c, s, 0.0);
            double next = Math.Log(s.Theta / (1 - s.Theta));
            Assert.True(logit - next <= Options.MaxStep + 1e-9, $"step {logit - next}");
            logit = next;
            Assert.InRange(s.Theta, 0.05, 0.9);
        }
        Assert.Equal(0.05, s.Theta, 9);
        for (int w = 0; w < 50; w++) Window(c, s, 1.0);
        Assert.Equal(0.9, s.Theta, 9);
    }

    [Fact]
    public void Closed_loop_settles_at_the_target()
    {
        // A plant like the job's: ILD falls as θ rises (more relevance, less diversity), with noise per list.
        var c = new DiversityController(Options with { WindowLists = 200 });
        var s = c.NewState();
        var rng = new Random(3);
        for (int list = 0; list < 200 * 60; list++) c.Observe(s, Math.Clamp(0.9 - 0.25 * s.Theta + (rng.NextDouble() - 0.5) * 0.3, 0, 1), list);
        // 0.9 − 0.25θ = 0.8 at θ = 0.4.
        Assert.InRange(s.Theta, 0.34, 0.46);
        Assert.InRange(DiversityController.WindowIld(s), 0.78, 0.82);
    }

    [Fact]
    public void Rollback_restores_a_kept_theta_and_holds_it_until_resume()
    {
        var c = new DiversityController(Options with { VersionsKept = 3 });
        var s = c.NewState();
        for (int w = 0; w < 5; w++) Window(c, s, 0.6);
        Assert.Equal(6, s.LatestVersion);
        Assert.Equal([4L, 5L, 6L], s.Versions.Select(v => v.Version));
        Assert.False(DiversityController.Rollback(s, 2));

        double kept = s.Versions[0].Theta;
        Assert.True(DiversityController.Rollback(s, 4));
        Assert.Equal(kept, s.Theta);
        for (int w = 0; w < 3; w++) Assert.Null(Window(c, s, 0.6));
        Assert.Equal(kept, s.Theta);

        DiversityController.Resume(s);
        var next = Window(c, s, 0.6);
        Assert.NotNull(next);
        Assert.Equal(7, next.Version);
        Assert.True(next.Theta < kept);
    }

    [Fact]
    public void A_state_restored_under_another_window_keeps_its_latest_lists()
    {
        var s = new DiversityController(Options).NewState();
        var c = new DiversityController(Options);
        for (int i = 0; i < 15; i++) c.Observe(s, i < 10 ? 0.5 : 0.9, 0);
        var smaller = new DiversityController(Options with { WindowLists = 10 });
        smaller.Observe(s, 0.9, 0);
        Assert.Equal(10, s.Window.Length);
        Assert.Equal((4 * 0.5 + 6 * 0.9) / 10, DiversityController.WindowIld(s), 9);
    }

    [Theory]
    [InlineData(0, 400)]
    [InlineData(1.5, 400)]
    [InlineData(0.8, 5)]
    public void Bad_settings_are_refused(double target, int window) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiversityController(new DiversityControllerOptions(target, window)));
}
