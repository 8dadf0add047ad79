using System.Text;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Kafka.Tests.ExactlyOnce;

/// <summary>
/// A job of one source and one exactly-once Kafka sink subtask, run against a <see cref="FaultyTransactionalBroker"/>
/// the way the runtime drives the sink (<c>SinkOperator</c>): records r0 .. r(n-1); a barrier every
/// <see cref="Interval"/> records pre-commits, the checkpoint (source position and the pending handles) completes
/// unless told otherwise, and the notification commits. A crash ends the run where it happens; the next run
/// restores the last completed checkpoint (source position and handles, given to Recover) and replays from there.
/// Checkpoint ids keep growing across runs, as the checkpoint coordinator's do.
/// </summary>
internal sealed class SinkJobSimulation(FaultyTransactionalBroker broker, int records, int interval, int poolSize = 3)
{
    public const string Topic = "out";
    public const string Prefix = "sim";
    public const string MarkerTopic = "sim.commits";

    private long _nextCheckpoint = 1;

    public int Interval => interval;

    /// <summary>The last completed checkpoint: its id, the source position and the sink's pending handles.</summary>
    public (long Id, int Position, List<byte[]> Handles)? Completed { get; private set; }

    public List<string> Log { get; } = [];

    /// <summary>Outcomes of the recoveries, one per run.</summary>
    public List<KafkaTransactionRecovery.Outcome> Recoveries { get; } = [];

    /// <summary>Whether checkpoint n (by count in this run) completes; default: all do.</summary>
    public Func<long, bool> Completes { get; set; } = _ => true;

    /// <summary>Called after checkpoint n completed and before its notification; throw <see cref="CrashException"/> to lose the notification.</summary>
    public Action<long> BeforeNotify { get; set; } = _ => { };

    public KafkaTransactionCoordinator NewCoordinator(int subtask = 0, int parallelism = 1) =>
        new(Topic, Prefix, subtask, parallelism, poolSize, broker.Producer, broker, MarkerTopic, () => 2, Log.Add, "sim sink");

    public static string Value(int i) => $"r{i}";

    /// <summary>One run from the last completed checkpoint; true if it reached the end, false if it crashed.</summary>
    public bool Run()
    {
        var position = Completed?.Position ?? 0;
        var pending = new List<(long Id, byte[] Handle)>();
        var coordinator = NewCoordinator();
        try
        {
            coordinator.Recover(Completed?.Handles ?? []);
            Recoveries.Add(coordinator.Recovered!);
            while (position < records)
            {
                coordinator.Write(new KafkaRecord(-1, Encoding.UTF8.GetBytes($"k{position % 5}"), Encoding.UTF8.GetBytes(Value(position)), KafkaRecord.NoTimestamp));
                position++;
                if (position % interval != 0 && position != records) continue;
                var id = _nextCheckpoint++;
                pending.Add((id, coordinator.PrepareCommit(id).ToBytes()));
                if (!Completes(id) && position != records) continue;
                Completed = (id, position, pending.Select(p => p.Handle).ToList());
                BeforeNotify(id);
                coordinator.Commit(id);
                pending.RemoveAll(p => p.Id <= id);
            }
            coordinator.Dispose();
            return true;
        }
        catch (CrashException e)
        {
            Log.Add(e.Message);
            return false; // a dead process closes nothing
        }
    }

    /// <summary>All records, each once, sorted.</summary>
    public List<string> Expected() => Enumerable.Range(0, records).Select(Value).Order(StringComparer.Ordinal).ToList();
}
