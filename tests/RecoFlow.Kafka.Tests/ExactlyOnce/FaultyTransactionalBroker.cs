using System.Text;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Kafka.Tests.ExactlyOnce;

/// <summary>The process running the sink died at this point (nothing after it runs; its producers are never closed).</summary>
public sealed class CrashException(string where) : Exception($"crash {where}");

/// <summary>
/// Kafka's transaction semantics in memory, for the commit logic's fault-injection tests: per transactional id an
/// epoch (InitTransactions bumps it, fencing older producers, and finishes the id's transaction: a commit already
/// requested completes, an open one aborts), per partition a log whose records belong to a transaction that is open,
/// committed or aborted. <see cref="ReadCommitted"/> and <see cref="ReadUncommitted"/> are what consumers with either
/// isolation level see. A crash is injected at a numbered broker call (<see cref="CrashAt"/>), before or after the
/// call takes effect.
/// </summary>
internal sealed class FaultyTransactionalBroker : IKafkaCommitMarkerReader
{
    private enum TxState { Open, CommitRequested, Committed, Aborted }

    private sealed class Transaction(string id)
    {
        public readonly string Id = id;
        public TxState State = TxState.Open;
    }

    private sealed record Entry(string Topic, int Partition, long Offset, KafkaRecord Record, Transaction Tx);

    private readonly Dictionary<string, int> _epochs = [];
    private readonly Dictionary<string, Transaction> _open = [];
    private readonly Dictionary<(string, int), List<Entry>> _logs = [];
    private readonly List<string> _calls = [];
    private int _crashAt = -1;
    private bool _crashAfter;

    public int Partitions { get; init; } = 3;

    /// <summary>Every broker call so far ("op id"), in order.</summary>
    public IReadOnlyList<string> Calls => _calls;

    /// <summary>Crash at broker call number <paramref name="call"/> (0-based, counted from now on), after the call took effect when <paramref name="after"/>.</summary>
    public void CrashAt(int call, bool after)
    {
        _crashAt = _calls.Count + call;
        _crashAfter = after;
    }

    public void NoCrash() => _crashAt = -1;

    private void Call(string op, string id, Action effect)
    {
        var n = _calls.Count;
        _calls.Add($"{op} {id}");
        if (n == _crashAt && !_crashAfter) { _crashAt = -1; throw new CrashException($"before {op} {id}"); }
        effect();
        if (n == _crashAt && _crashAfter) { _crashAt = -1; throw new CrashException($"after {op} {id}"); }
    }

    public ITransactionalKafkaProducer Producer(string transactionalId) => new FakeProducer(this, transactionalId);

    /// <summary>Values of <paramref name="topic"/> a read_committed consumer sees.</summary>
    public List<string> ReadCommitted(string topic) => Values(topic, e => e.Tx.State == TxState.Committed);

    /// <summary>Values of <paramref name="topic"/> a read_uncommitted consumer sees (aborted and open transactions included).</summary>
    public List<string> ReadUncommitted(string topic) => Values(topic, _ => true);

    private List<string> Values(string topic, Func<Entry, bool> visible) =>
        _logs.Where(l => l.Key.Item1 == topic).SelectMany(l => l.Value).Where(visible).Select(e => Encoding.UTF8.GetString(e.Record.Value)).ToList();

    public bool IsCommitted(KafkaCommitMarker marker)
    {
        var log = _logs.GetValueOrDefault((marker.Topic, marker.Partition)) ?? [];
        // read_committed stops at the first open transaction (the last stable offset): the tests fence before reading.
        foreach (var e in log.Where(e => e.Offset >= marker.Offset))
        {
            if (e.Tx.State is TxState.Open or TxState.CommitRequested) throw new InvalidOperationException($"marker read blocked by the open transaction of {e.Tx.Id}");
            if (e.Tx.State == TxState.Committed && KafkaCommitMarker.NonceOf(e.Record.Value) == marker.Nonce) return true;
        }
        return false;
    }

    private sealed class FakeProducer(FaultyTransactionalBroker broker, string id) : ITransactionalKafkaProducer
    {
        private int _epoch = -1;
        private Transaction? _tx;
        private readonly List<(long Offset, Action<long> Ack)> _unacked = [];

        public string TransactionalId => id;

        private void CheckFenced(string op)
        {
            if (_epoch < 0) throw new InvalidOperationException($"{op} on {id} before InitTransactions");
            if (broker._epochs[id] != _epoch) throw new InvalidOperationException($"{op} on {id}: producer fenced (epoch {_epoch}, now {broker._epochs[id]})");
        }

        public void InitTransactions() => broker.Call("init", id, () =>
        {
            if (broker._open.Remove(id, out var old))
                old.State = old.State == TxState.CommitRequested ? TxState.Committed : TxState.Aborted;
            _epoch = broker._epochs[id] = broker._epochs.GetValueOrDefault(id) + 1;
        });

        public void BeginTransaction() => broker.Call("begin", id, () =>
        {
            CheckFenced("begin");
            if (_tx is not null) throw new InvalidOperationException($"begin on {id}: a transaction is open");
            _tx = broker._open[id] = new Transaction(id);
        });

        public void Produce(string topic, KafkaRecord record, Action<long>? acknowledged = null) => broker.Call("produce", id, () =>
        {
            CheckFenced("produce");
            if (_tx is null) throw new InvalidOperationException($"produce on {id} outside a transaction");
            var partition = record.Partition >= 0 ? record.Partition
                : record.Key is null ? 0 : (int)((uint)Encoding.UTF8.GetString(record.Key).GetHashCode(StringComparison.Ordinal) % broker.Partitions);
            var log = broker._logs.TryGetValue((topic, partition), out var l) ? l : broker._logs[(topic, partition)] = [];
            log.Add(new Entry(topic, partition, log.Count, record, _tx));
            if (acknowledged is not null) _unacked.Add((log.Count - 1, acknowledged));
        });

        public void Flush() => broker.Call("flush", id, () =>
        {
            foreach (var (offset, ack) in _unacked) ack(offset);
            _unacked.Clear();
        });

        public void CommitTransaction()
        {
            // The request reaches the transaction coordinator (which then completes the commit even if the client dies) ...
            broker.Call("commit-request", id, () =>
            {
                CheckFenced("commit");
                _tx!.State = TxState.CommitRequested;
            });
            // ... and the commit is written; the client hears of it.
            broker.Call("commit", id, () =>
            {
                _tx!.State = TxState.Committed;
                broker._open.Remove(id);
                _tx = null;
            });
        }

        public void AbortTransaction() => broker.Call("abort", id, () =>
        {
            CheckFenced("abort");
            _tx!.State = TxState.Aborted;
            broker._open.Remove(id);
            _tx = null;
        });

        public void Dispose()
        {
        }
    }
}
