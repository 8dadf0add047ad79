using RecoFlow.ControlPlane;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// The thresholds of <see cref="AutoscalerPolicy"/>: scale up when the job has been above <see cref="ScaleUpUtilization"/>
/// for <see cref="ScaleUpAfter"/>, down when below <see cref="ScaleDownUtilization"/> for <see cref="ScaleDownAfter"/>,
/// never outside <see cref="MinParallelism"/>..<see cref="MaxParallelism"/>, and not again within <see cref="CoolDown"/> of a rescale.
/// </summary>
/// <param name="TargetUtilization">What a rescale aims at: the new parallelism is the one at which the measured load would be this.</param>
/// <param name="MaxSampleGap">Samples further apart than this (the job was restarting, the job manager moved) start the measurement over.</param>
public sealed record AutoscalerSettings(
    int MinParallelism,
    int MaxParallelism,
    double ScaleUpUtilization = 0.8,
    TimeSpan? ScaleUpAfter = null,
    double ScaleDownUtilization = 0.3,
    TimeSpan? ScaleDownAfter = null,
    TimeSpan? CoolDown = null,
    double TargetUtilization = 0.55,
    TimeSpan? MaxSampleGap = null)
{
    public TimeSpan UpAfter => ScaleUpAfter ?? TimeSpan.FromSeconds(30);
    public TimeSpan DownAfter => ScaleDownAfter ?? TimeSpan.FromMinutes(5);
    public TimeSpan CoolDownTime => CoolDown ?? TimeSpan.FromMinutes(2);
    public TimeSpan SampleGap => MaxSampleGap ?? TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that makes no sense.</summary>
    public void Validate()
    {
        if (MinParallelism < 1) throw new ArgumentException($"the min parallelism must be at least 1, got {MinParallelism}");
        if (MaxParallelism < MinParallelism) throw new ArgumentException($"the max parallelism ({MaxParallelism}) must not be below the min parallelism ({MinParallelism})");
        if (ScaleDownUtilization is <= 0 or >= 1 || ScaleUpUtilization is <= 0 or >= 1 || ScaleDownUtilization >= ScaleUpUtilization)
            throw new ArgumentException($"the utilization thresholds must be 0 < down ({ScaleDownUtilization}) < up ({ScaleUpUtilization}) < 1");
        if (TargetUtilization <= ScaleDownUtilization || TargetUtilization >= ScaleUpUtilization)
            throw new ArgumentException($"the target utilization ({TargetUtilization}) must lie between the down ({ScaleDownUtilization}) and up ({ScaleUpUtilization}) thresholds");
        if (UpAfter < TimeSpan.Zero || DownAfter < TimeSpan.Zero || CoolDownTime < TimeSpan.Zero || SampleGap <= TimeSpan.Zero)
            throw new ArgumentException("the scale-up and scale-down times and the cool-down must not be negative, the sample gap must be positive");
    }
}

/// <summary>A rescale the policy asks for: from <see cref="From"/> to <see cref="To"/> at <see cref="At"/>, with the measured <see cref="Utilization"/> and the <see cref="Reason"/> in words.</summary>
public sealed record AutoscaleDecision(int From, int To, double Utilization, DateTimeOffset At, string Reason);

/// <summary>
/// The autoscaler's decisions for one job (the policy of Flink's autoscaler, simplified): it is fed, every second or so,
/// the job's utilization, the largest share of time any task spent busy or backpressured since the previous sample
/// (<see cref="Utilization"/>: a busy task is the bottleneck, a backpressured one waits for it); when the utilization has
/// stayed above the scale-up threshold for the scale-up time it asks for the parallelism at which the load would be the
/// target utilization (at least one more task), when it has stayed below the scale-down threshold for the scale-down
/// time likewise (at least one task fewer), always within the min and max parallelism and never within the cool-down
/// after a rescale (samples taken during the cool-down do not count). Time is passed in, so the policy is tested
/// without waiting. The job manager keeps one per job submitted with <c>--min-parallelism</c>/<c>--max-parallelism</c>.
/// </summary>
public sealed class AutoscalerPolicy
{
    private readonly AutoscalerSettings _settings;
    private DateTimeOffset? _highSince;
    private DateTimeOffset? _lowSince;
    private DateTimeOffset? _lastSample;
    private DateTimeOffset? _coolDownUntil;

    public AutoscalerPolicy(AutoscalerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
    }

    /// <summary>
    /// The utilization between two samples of a job's task counters: the largest share of its running time that any
    /// task present in both spent busy or backpressured (0 when no task ran in between).
    /// </summary>
    public static double Utilization(IReadOnlyList<TaskCounters> previous, IReadOnlyList<TaskCounters> current)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        var before = previous.ToDictionary(t => t.TaskId, StringComparer.Ordinal);
        var max = 0.0;
        foreach (var t in current)
        {
            if (!before.TryGetValue(t.TaskId, out var b)) continue;
            var running = (t.Running - b.Running).TotalMilliseconds;
            if (running <= 0) continue;
            var loaded = Math.Max((t.Busy - b.Busy).TotalMilliseconds, (t.Backpressured - b.Backpressured).TotalMilliseconds);
            max = Math.Max(max, Math.Clamp(loaded / running, 0, 1));
        }
        return max;
    }

    /// <summary>Feeds one utilization sample of a job running at <paramref name="parallelism"/>; returns a decision when one is due.</summary>
    public AutoscaleDecision? Observe(DateTimeOffset now, double utilization, int parallelism)
    {
        if (double.IsNaN(utilization) || utilization < 0) throw new ArgumentOutOfRangeException(nameof(utilization), utilization, "utilization must be a share of time, 0 or more");
        if (_lastSample is { } last && now - last > _settings.SampleGap) _highSince = _lowSince = null;
        _lastSample = now;
        // What the job does during the cool-down (settling after its restart) does not count towards the next decision.
        if (_coolDownUntil is { } until && now < until)
        {
            _highSince = _lowSince = null;
            return null;
        }
        _highSince = utilization > _settings.ScaleUpUtilization ? _highSince ?? now : null;
        _lowSince = utilization < _settings.ScaleDownUtilization ? _lowSince ?? now : null;

        if (_highSince is { } high && now - high >= _settings.UpAfter && parallelism < _settings.MaxParallelism)
        {
            var to = Math.Min(_settings.MaxParallelism, Math.Max(parallelism + 1, Aim(parallelism, utilization)));
            return Decided(now, parallelism, to, utilization,
                $"above {Percent(_settings.ScaleUpUtilization)} busy or backpressured for {_settings.UpAfter.TotalSeconds:0} s (now {Percent(utilization)})");
        }
        if (_lowSince is { } low && now - low >= _settings.DownAfter && parallelism > _settings.MinParallelism)
        {
            var to = Math.Max(_settings.MinParallelism, Math.Min(parallelism - 1, Aim(parallelism, utilization)));
            return Decided(now, parallelism, to, utilization,
                $"below {Percent(_settings.ScaleDownUtilization)} busy for {_settings.DownAfter.TotalSeconds:0} s (now {Percent(utilization)})");
        }
        return null;
    }

    /// <summary>A rescale (by this policy or otherwise) happened at <paramref name="now"/>: the cool-down starts and the measurement starts over.</summary>
    public void Rescaled(DateTimeOffset now)
    {
        _coolDownUntil = now + _settings.CoolDownTime;
        _highSince = _lowSince = null;
    }

    private static string Percent(double share) => $"{Math.Round(share * 100):0}%";

    private int Aim(int parallelism, double utilization) => (int)Math.Ceiling(parallelism * utilization / _settings.TargetUtilization);

    private AutoscaleDecision Decided(DateTimeOffset now, int from, int to, double utilization, string reason)
    {
        Rescaled(now);
        return new AutoscaleDecision(from, to, utilization, now, reason);
    }
}
