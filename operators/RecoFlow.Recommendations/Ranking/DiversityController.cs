namespace RecoFlow.Recommendations.Ranking;

/// <summary>Settings of <see cref="DiversityController"/>.</summary>
/// <param name="Target">The intra-list diversity to hold (mean pairwise 1 − category Jaccard of a list, as <see cref="DiversityAudit"/> measures it).</param>
/// <param name="WindowLists">The audit window: the ILD of this many of the latest lists served is what the controller holds at the target.</param>
/// <param name="InitialTheta">θ before the first decision.</param>
/// <param name="MinTheta">Lower bound of θ (most diversity the controller may ask for).</param>
/// <param name="MaxTheta">Upper bound of θ (least diversity; below 1, so the DPP stays on).</param>
/// <param name="Gain">Step in logit(θ) per unit of ILD error (ILD moves about 0.1 per unit of logit(θ) near typical settings, so 5 corrects half the error per decision).</param>
/// <param name="MaxStep">Largest change of logit(θ) per decision.</param>
/// <param name="Tolerance">Errors within this band change nothing (no new version for noise).</param>
/// <param name="VersionsKept">Decisions kept for rollback.</param>
public sealed record DiversityControllerOptions(
    double Target,
    int WindowLists = 400,
    double InitialTheta = 0.5,
    double MinTheta = 0.01,
    double MaxTheta = 0.99,
    double Gain = 5,
    double MaxStep = 0.5,
    double Tolerance = 0.003,
    int VersionsKept = 10)
{
    /// <summary>
    /// The settings of a job's loop: <paramref name="target"/> and <paramref name="window"/>, starting at the job's
    /// <paramref name="dppTheta"/> when its DPP is on (clamped to the bounds), else at the default.
    /// </summary>
    public static DiversityControllerOptions Starting(double target, int window, double dppTheta)
    {
        var options = new DiversityControllerOptions(target, window);
        return dppTheta < 1 ? options with { InitialTheta = Math.Clamp(dppTheta, options.MinTheta, options.MaxTheta) } : options;
    }

    /// <summary>What makes the settings unusable, or null when they are fine.</summary>
    public string? Problem() =>
        !(Target is > 0 and <= 1) ? "the ILD target must be in (0, 1]"
        : WindowLists < 10 ? "the audit window needs at least 10 lists"
        : !(MinTheta > 0 && MinTheta < MaxTheta && MaxTheta < 1) ? "θ bounds must satisfy 0 < min < max < 1"
        : !(InitialTheta >= MinTheta && InitialTheta <= MaxTheta) ? "the initial θ must be within the bounds"
        : !(Gain > 0) || !(MaxStep > 0) || Tolerance < 0 ? "gain and step must be positive, tolerance not negative"
        : VersionsKept < 1 ? "keep at least one version"
        : null;

    /// <summary>Refuses settings the controller cannot work with (<see cref="Problem"/>).</summary>
    public void Validate()
    {
        if (Problem() is { } problem) throw new ArgumentOutOfRangeException(nameof(DiversityControllerOptions), problem);
    }
}

/// <summary>One θ the controller decided (a version, like a model version): what the audit window showed when it was set.</summary>
public sealed class DiversityVersion
{
    public long Version { get; set; }
    public double Theta { get; set; }
    /// <summary>The window's mean ILD that led to this θ (NaN for the initial version).</summary>
    public double WindowIld { get; set; }
    /// <summary>Lists audited when it was set.</summary>
    public long Lists { get; set; }
    public long AtMs { get; set; }
}

/// <summary>
/// The checkpointed state of a <see cref="DiversityController"/> (MessagePack, contractless): θ, the audit window
/// (a ring of the latest lists' ILD), the kept versions and whether a rollback holds θ.
/// </summary>
public sealed class DiversityControllerState
{
    public double Theta { get; set; }
    public double[] Window { get; set; } = [];
    public int WindowCount { get; set; }
    public int WindowNext { get; set; }
    public long Lists { get; set; }
    public long SinceDecision { get; set; }
    public long LatestVersion { get; set; }
    public List<DiversityVersion> Versions { get; set; } = [];
    /// <summary>A rollback holds θ at the version rolled back to until <see cref="DiversityController.Resume"/>.</summary>
    public bool Pinned { get; set; }
}

/// <summary>
/// The diversity loop: audits the ILD of the lists served over a sliding window and adjusts the DPP trade-off θ to
/// hold <see cref="DiversityControllerOptions.Target"/>. Every <see cref="DiversityControllerOptions.WindowLists"/>
/// lists (a full window of lists served under the current θ) it steps logit(θ) by Gain × (window ILD − target),
/// bounded by MaxStep and the θ bounds: too diverse raises θ (more relevance), too uniform lowers it. Each change is a
/// new version; versions are kept for <see cref="Rollback"/>, which sets θ back and holds it until <see cref="Resume"/>.
/// A plain class over its state object, so a streaming operator keeps the state in checkpointed broadcast state and
/// tests drive it directly.
/// </summary>
public sealed class DiversityController(DiversityControllerOptions options)
{
    public DiversityControllerOptions Options { get; } = Validated(options);

    /// <summary>A fresh state at the initial θ, version 1.</summary>
    public DiversityControllerState NewState(long atMs = 0)
    {
        var state = new DiversityControllerState { Theta = Options.InitialTheta, Window = new double[Options.WindowLists] };
        AddVersion(state, double.NaN, atMs);
        return state;
    }

    /// <summary>The mean ILD of the lists in the audit window (NaN before the first list).</summary>
    public static double WindowIld(DiversityControllerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.WindowCount == 0) return double.NaN;
        double sum = 0;
        for (int i = 0; i < state.WindowCount; i++) sum += state.Window[i];
        return sum / state.WindowCount;
    }

    /// <summary>
    /// Records the ILD of one list served; returns the new version when this list completed a window that changed θ,
    /// else null.
    /// </summary>
    public DiversityVersion? Observe(DiversityControllerState state, double listIld, long atMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (double.IsNaN(listIld)) return null;
        if (state.Window.Length != Options.WindowLists) Resize(state);
        state.Window[state.WindowNext] = listIld;
        state.WindowNext = (state.WindowNext + 1) % state.Window.Length;
        state.WindowCount = Math.Min(state.WindowCount + 1, state.Window.Length);
        state.Lists++;
        state.SinceDecision++;
        if (state.Pinned || state.SinceDecision < Options.WindowLists) return null;
        state.SinceDecision = 0;
        double ild = WindowIld(state);
        double error = ild - Options.Target;
        if (Math.Abs(error) <= Options.Tolerance) return null;
        double step = Math.Clamp(Options.Gain * error, -Options.MaxStep, Options.MaxStep);
        double theta = Math.Clamp(Sigmoid(Logit(state.Theta) + step), Options.MinTheta, Options.MaxTheta);
        if (theta == state.Theta) return null;
        state.Theta = theta;
        return AddVersion(state, ild, atMs);
    }

    /// <summary>Sets θ back to a kept version's and holds it (decisions pause) until <see cref="Resume"/>; false when the version is not kept.</summary>
    public static bool Rollback(DiversityControllerState state, long version)
    {
        ArgumentNullException.ThrowIfNull(state);
        var kept = state.Versions.Find(v => v.Version == version);
        if (kept is null) return false;
        state.Theta = kept.Theta;
        state.Pinned = true;
        return true;
    }

    /// <summary>Lets the controller decide again, from the θ it holds, after a full window of new lists.</summary>
    public static void Resume(DiversityControllerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Pinned = false;
        state.SinceDecision = 0;
    }

    private DiversityVersion AddVersion(DiversityControllerState state, double windowIld, long atMs)
    {
        var v = new DiversityVersion { Version = ++state.LatestVersion, Theta = state.Theta, WindowIld = windowIld, Lists = state.Lists, AtMs = atMs };
        state.Versions.Add(v);
        if (state.Versions.Count > Options.VersionsKept) state.Versions.RemoveRange(0, state.Versions.Count - Options.VersionsKept);
        return v;
    }

    /// <summary>A state restored under another window length keeps its latest lists.</summary>
    private void Resize(DiversityControllerState state)
    {
        int length = state.Window.Length;
        var latest = new List<double>(state.WindowCount);
        for (int i = Math.Min(state.WindowCount, length); i > 0; i--) latest.Add(state.Window[((state.WindowNext - i) % length + length) % length]);
        var window = new double[Options.WindowLists];
        int keep = Math.Min(latest.Count, window.Length);
        for (int i = 0; i < keep; i++) window[i] = latest[latest.Count - keep + i];
        state.Window = window;
        state.WindowCount = keep;
        state.WindowNext = keep % window.Length;
    }

    private static DiversityControllerOptions Validated(DiversityControllerOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        return o;
    }

    private static double Logit(double p) => Math.Log(p / (1 - p));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
