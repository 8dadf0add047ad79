using Akka.Actor;
using RecoFlow.Api.Graph;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;
using RecoFlow.Runtime.KeyGroups;

namespace RecoFlow.Runtime.Channels;

/// <summary>Untyped view of a writer for the task.</summary>
public interface IRecordWriter
{
    int Index { get; }

    /// <summary>True while some channel holds batches it has no credit to send: the task must stop producing.</summary>
    bool IsBlocked { get; }
    void Connect(IReadOnlyList<ChannelTarget> targets, IActorRef self, int attempt);
    void AddCredit(int channel, int credits);
    void FlushAll();
    void Broadcast(Func<int, ChannelMessage> message);
    long RecordsOut { get; }
}

/// <summary>
/// Partitions records over the channels of one network edge and sends them in batches with credit-based flow control
/// (Flink: RecordWriter + credit-based network stack). A batch is sent when full, or when the task flushes after each
/// processing step; without credit it waits in the channel's queue and the task reports itself blocked.
/// Events (watermarks, barriers, end of partition) queue behind data but need no credit.
/// </summary>
public sealed class RecordWriter<T> : IRecordWriter, IOutput<T>
{
    private readonly PartitioningKind _partitioning;
    private readonly Func<T, int>? _channelOfRecord;
    private readonly int _batchSize;
    private readonly int _initialCredits;
    private readonly int _forwardChannel;
    private readonly Action<string, object?, long> _deadLetter;
    private readonly string _consumerName;
    private StreamRecord<T>[][] _buffers = [];
    private int[] _counts = [];
    private int[] _credits = [];
    private long[] _seq = [];
    private Queue<ChannelMessage>[] _queues = [];
    private ChannelTarget[] _targets = [];
    private IActorRef _self = ActorRefs.Nobody;
    private int _attempt;
    private int _roundRobin;
    private int _blockedChannels;

    public RecordWriter(int index, PartitioningKind partitioning, KeySelector? key, int subtaskIndex, int maxParallelism, int consumerParallelism,
        int batchSize, int initialCredits, string consumerName, Action<string, object?, long> deadLetter)
    {
        Index = index;
        _partitioning = partitioning;
        _batchSize = batchSize;
        _initialCredits = initialCredits;
        _forwardChannel = subtaskIndex % consumerParallelism;
        _consumerName = consumerName;
        _deadLetter = deadLetter;
        _roundRobin = subtaskIndex;
        if (partitioning == PartitioningKind.Hash)
            _channelOfRecord = (Func<T, int>)typeof(RecordWriter<T>).GetMethod(nameof(HashChannel), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(key!.KeyType).Invoke(null, [key, maxParallelism, consumerParallelism])!;
    }

    private static Func<T, int> HashChannel<TKey>(KeySelector key, int maxParallelism, int parallelism) where TKey : notnull
    {
        var select = ((KeySelector<T, TKey>)key).Select;
        return value =>
        {
            var k = select(value);
            if (k is null) return -1;
            return KeyGroupAssignment.OperatorIndexOf(KeyGroupAssignment.KeyGroupOf(k, maxParallelism), maxParallelism, parallelism);
        };
    }

    public int Index { get; }
    public bool IsBlocked => _blockedChannels > 0;
    public long RecordsOut { get; private set; }

    public void Connect(IReadOnlyList<ChannelTarget> targets, IActorRef self, int attempt)
    {
        var n = targets.Count;
        _targets = [.. targets];
        _self = self;
        _attempt = attempt;
        _buffers = new StreamRecord<T>[n][];
        _counts = new int[n];
        _credits = Enumerable.Repeat(_initialCredits, n).ToArray();
        _seq = new long[n];
        _queues = Enumerable.Range(0, n).Select(_ => new Queue<ChannelMessage>()).ToArray();
        _blockedChannels = 0;
    }

    public void Collect(T value, long timestamp)
    {
        RecordsOut++;
        switch (_partitioning)
        {
            case PartitioningKind.Forward:
                Append(_targets.Length == 1 ? 0 : _forwardChannel, value, timestamp);
                break;
            case PartitioningKind.Rebalance:
                Append(_roundRobin = (_roundRobin + 1) % _targets.Length, value, timestamp);
                break;
            case PartitioningKind.Hash:
                var ch = _channelOfRecord!(value);
                if (ch < 0) _deadLetter($"key selector of {_consumerName} returned null", value, timestamp);
                else Append(ch, value, timestamp);
                break;
            case PartitioningKind.Broadcast:
                for (var i = 0; i < _targets.Length; i++) Append(i, value, timestamp);
                break;
        }
    }

    private void Append(int channel, T value, long timestamp)
    {
        var buffer = _buffers[channel] ??= new StreamRecord<T>[_batchSize];
        ref var slot = ref buffer[_counts[channel]++];
        slot.Value = value;
        slot.Timestamp = timestamp;
        if (_counts[channel] == _batchSize) FlushChannel(channel);
    }

    private void FlushChannel(int channel)
    {
        var count = _counts[channel];
        if (count == 0) return;
        var batch = new DataBatch<T> { Records = _buffers[channel], Count = count, Channel = _targets[channel].InputChannel, Attempt = _attempt };
        _buffers[channel] = null!;
        _counts[channel] = 0;
        Enqueue(channel, batch);
    }

    private void Enqueue(int channel, ChannelMessage message)
    {
        var q = _queues[channel];
        var wasBlocked = q.Count > 0;
        q.Enqueue(message);
        if (wasBlocked) return;
        Drain(channel);
        if (q.Count > 0) _blockedChannels++;
    }

    private void Drain(int channel)
    {
        var q = _queues[channel];
        while (q.Count > 0)
        {
            var m = q.Peek();
            var isData = m is IDataBatch;
            if (isData && _credits[channel] == 0) return;
            q.Dequeue();
            if (isData && --_credits[channel] == 0) ((DataBatch<T>)m).LastCredit = true;
            m.Seq = ++_seq[channel];
            _targets[channel].Task.Tell(m, _self);
        }
    }

    public void AddCredit(int channel, int credits)
    {
        _credits[channel] += credits;
        var q = _queues[channel];
        if (q.Count == 0) return;
        Drain(channel);
        if (q.Count == 0) _blockedChannels--;
    }

    public void FlushAll()
    {
        for (var i = 0; i < _targets.Length; i++) FlushChannel(i);
    }

    public void Broadcast(Func<int, ChannelMessage> message)
    {
        for (var i = 0; i < _targets.Length; i++)
        {
            FlushChannel(i);
            Enqueue(i, message(_targets[i].InputChannel));
        }
    }

    public void EmitWatermark(long watermark) =>
        Broadcast(ch => new WatermarkMessage { Watermark = watermark, Channel = ch, Attempt = _attempt });

    public void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp) =>
        throw new InvalidOperationException("side outputs are routed before the writer");
}
