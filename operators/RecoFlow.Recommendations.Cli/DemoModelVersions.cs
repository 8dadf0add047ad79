using System.Collections.Concurrent;
using RecoFlow.Recommendations.Edge.Models;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Cli;

/// <summary>
/// Model versions as the item model publishes them, and the diversity loop's θ versions (with <c>--ild-target</c>), for
/// the dashboard's "Model versions" panel and the summary line.
/// </summary>
public sealed class DemoModelVersions : IModelVersions
{
    /// <summary>The job name the diversity loop's versions are listed under.</summary>
    public const string DiversityJob = "recommendations: diversity θ";

    private readonly ConcurrentDictionary<long, ModelVersionView> _versions = new();
    private readonly ConcurrentDictionary<(int Subtask, long Version), ModelVersionView> _diversity = new();
    private long _latest;

    public long Latest => Interlocked.Read(ref _latest);

    public IReadOnlyList<ModelVersionView> Versions =>
    [
        .. _diversity.Values.OrderByDescending(v => v.Version).Take(5),
        .. _versions.Values.OrderByDescending(v => v.Version).Take(20).Select(v => v with { Status = v.Version == Latest ? "active" : "kept" }),
    ];

    internal void Add(ModelDelta d)
    {
        _versions.AddOrUpdate(d.Version,
            _ => new ModelVersionView("recommendations", d.Version, DateTimeOffset.UtcNow, "active", new Dictionary<string, double> { ["items_changed"] = d.Items.Length }),
            (_, v) => v with { Metrics = new Dictionary<string, double> { ["items_changed"] = v.Metrics["items_changed"] + d.Items.Length } });
        long seen;
        while ((seen = Interlocked.Read(ref _latest)) < d.Version && Interlocked.CompareExchange(ref _latest, d.Version, seen) != seen) { }
        foreach (var old in _versions.Keys.Where(k => k < d.Version - 50)) _versions.TryRemove(old, out _);
    }

    /// <summary>A decision of the diversity loop: the θ version it set (or rolled back to), with the audit window's ILD and the target.</summary>
    internal void Add(DiversityRecord r)
    {
        var metrics = new Dictionary<string, double> { ["theta"] = Math.Round(r.Theta, 4), ["target_ild"] = r.Target };
        if (!double.IsNaN(r.WindowIld)) metrics["window_ild"] = Math.Round(r.WindowIld, 4);
        foreach (var key in _diversity.Keys.Where(k => k.Subtask == r.Subtask)) _diversity[key] = _diversity[key] with { Status = "kept" };
        _diversity[(r.Subtask, r.Version)] = new ModelVersionView(DiversityJob, r.Version, DateTimeOffset.UtcNow, r.Reason == "rollback" ? "rolled-back-to" : "active", metrics);
        foreach (var old in _diversity.Keys.Where(k => k.Subtask == r.Subtask && k.Version < r.Version - 10)) _diversity.TryRemove(old, out _);
    }
}
