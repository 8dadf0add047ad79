using RecoFlow.Cluster.Jobs;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Serialization;

/// <summary>
/// Every message type that may cross the network, with its wire manifest. A manifest names the message on the wire
/// for good: never reuse or change one (a renamed type keeps its manifest). Data batches are not listed: their manifest
/// carries the record type (see <see cref="RecoFlowMessagePackSerializer"/>).
/// </summary>
public static class RemoteMessages
{
    private static readonly (string Manifest, Type Type)[] All =
    [
        // Channels between tasks (runtime).
        ("cw", typeof(WatermarkMessage)),
        ("ci", typeof(IdleMessage)),
        ("ce", typeof(EndOfPartitionMessage)),
        ("cb", typeof(BarrierMessage)),
        ("cc", typeof(CreditMessage)),
        // Job master <-> tasks (runtime).
        ("td", typeof(DeployTask)),
        ("tr", typeof(TaskReady)),
        ("ts", typeof(StartTask)),
        ("tf", typeof(TaskFinished)),
        ("tx", typeof(TaskFailed)),
        ("jc", typeof(CancelJob)),
        ("kt", typeof(TriggerCheckpoint)),
        ("ka", typeof(AcknowledgeCheckpoint)),
        ("kd", typeof(DeclineCheckpoint)),
        ("kn", typeof(NotifyCheckpointComplete)),
        ("kc", typeof(CommitDone)),
        ("kf", typeof(TriggerFinalCheckpoint)),
        ("st", typeof(TriggerSavepoint)),
        ("sd", typeof(SavepointDone)),
        ("sf", typeof(SavepointFailed)),
        ("tp", typeof(TaskPlaced)),
        ("tm", typeof(TaskMetricsReport)),
        // Job manager protocol (cluster).
        ("ms", typeof(SubmitJob)),
        ("ma", typeof(JobAccepted)),
        ("mr", typeof(JobRejected)),
        ("ml", typeof(ListJobs)),
        ("mj", typeof(JobList)),
        ("mc", typeof(CancelClusterJob)),
        ("mp", typeof(SavepointClusterJob)),
        ("mk", typeof(JobCommandDone)),
        ("mf", typeof(JobCommandFailed)),
        // Task placement on the task region (cluster).
        ("xp", typeof(PlaceTask)),
    ];

    private static readonly Dictionary<Type, string> ByType = All.ToDictionary(a => a.Type, a => a.Manifest);
    private static readonly Dictionary<string, Type> ByManifest = All.ToDictionary(a => a.Manifest, a => a.Type, StringComparer.Ordinal);

    /// <summary>The registered message types (data batches aside).</summary>
    public static IReadOnlyCollection<Type> Types => ByType.Keys;

    public static string? ManifestOf(Type type) => ByType.GetValueOrDefault(type);

    public static Type? TypeOf(string manifest) => ByManifest.GetValueOrDefault(manifest);
}
